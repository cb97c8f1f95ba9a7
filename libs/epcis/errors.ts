/** Reason codes of EPCIS input that can never be processed as it is (→ DLQ with the reason). */
import { InvalidInputError } from '../errors';

export type EpcisReasonCode = 'EPCIS_MALFORMED' | 'EPCIS_UNSUPPORTED_TYPE' | 'EPCIS_INVALID_IDENTIFIER';

export function epcisError(code: EpcisReasonCode, message: string): InvalidInputError {
  return new InvalidInputError([{ code, message }]);
}
