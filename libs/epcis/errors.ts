/** Reason codes of EPCIS input that can never be processed as it is (→ DLQ with the reason). */
import { InvalidInputError } from '../errors';

export type EpcisReasonCode =
  | 'EPCIS_MALFORMED'
  | 'EPCIS_UNSUPPORTED_TYPE'
  | 'EPCIS_INVALID_IDENTIFIER'
  // Refused at the door (guard.ts, docs/input.md): never stored, never altered.
  | 'INPUT_TOO_DEEP'
  | 'INPUT_TOO_LARGE'
  | 'INPUT_TEXT_INVALID'
  | 'INPUT_NUMBER_INVALID'
  | 'IDENTIFIER_TOO_LONG'
  | 'TIME_INVALID'
  | 'QUANTITY_NEGATIVE'
  | 'SCHEMA_VIOLATION';

export function epcisError(code: EpcisReasonCode, message: string): InvalidInputError {
  return new InvalidInputError([{ code, message }]);
}
