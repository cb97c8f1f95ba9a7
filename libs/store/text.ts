/**
 * PostgreSQL text and jsonb refuse U+0000 (22021, 22P05) and jsonb refuses lone UTF-16
 * surrogates; a DLQ row must still be written, because the records that carry them are exactly
 * the ones that end in the DLQ. Its text columns are labels for people (the original bytes are kept
 * unaltered in bytea), so such code points are written as the visible escape `\u0000`, `\ud800`.
 */
// eslint-disable-next-line no-control-regex -- NUL is exactly what must be found
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function storableText(text: string): string;
export function storableText(text: string | null): string | null;
export function storableText(text: string | null): string | null {
  if (text === null) return null;
  return text.replace(UNSTORABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
