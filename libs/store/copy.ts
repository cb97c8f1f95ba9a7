/** PostgreSQL COPY ... FROM STDIN in text format: the encoding of a value, and one COPY call. */
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * One field in COPY's text format: NULL is \N; backslash, newline, carriage return and tab escaped.
 *
 * Each character is looked for with `includes` (a native scan; most fields, and the ledger's JSON
 * text of ~2 KB, have none) and replaced with `replaceAll`, backslashes first so that the
 * escapes' own backslashes are not doubled: the same text as one regular-expression replace with
 * a callback, at about a third of the CPU (the regular expression's test and replace were ~2.5%
 * of the fused process's busy samples). copy.test.ts checks it against that replace.
 */
export function copyField(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  let out = value;
  if (out.includes('\\')) out = out.replaceAll('\\', '\\\\');
  if (out.includes('\n')) out = out.replaceAll('\n', '\\n');
  if (out.includes('\r')) out = out.replaceAll('\r', '\\r');
  if (out.includes('\t')) out = out.replaceAll('\t', '\\t');
  return out;
}

/** One row: fields joined by tabs, ended by a newline. */
export const copyRow = (fields: (string | null | undefined)[]): string =>
  `${fields.map(copyField).join('\t')}\n`;

/** Streams `text` (rows from copyRow) into `COPY <target> FROM STDIN`; resolves once the server took it. */
export function copyIn(client: pg.PoolClient, target: string, text: string): Promise<void> {
  if (text.length === 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const stream = client.query(copyFrom(`COPY ${target} FROM STDIN`));
    stream.on('error', reject);
    stream.on('finish', () => resolve());
    stream.end(text);
  });
}
