import { InvalidInputError } from '../errors';

export const gs1ErrorCodes = [
  'GS1_SYNTAX',
  'GS1_CHECK_DIGIT',
  'GS1_LENGTH',
  'GS1_CHARSET',
  'GS1_PREFIX_LENGTH_UNKNOWN',
  'GS1_UNSUPPORTED',
] as const;
export type Gs1ErrorCode = (typeof gs1ErrorCodes)[number];

/** A GS1 key that can never be read as it is: a DLQ reason, never retried. */
export class Gs1Error extends InvalidInputError {
  declare readonly code: Gs1ErrorCode;
  constructor(code: Gs1ErrorCode, message: string) {
    super([{ code, message }]);
  }
}

/** Quotes an input for a one-line message, control characters (the GS separator) made visible. */
export function quote(input: string): string {
  const shown = input.length > 120 ? `${input.slice(0, 117)}...` : input;
  return JSON.stringify(shown);
}
