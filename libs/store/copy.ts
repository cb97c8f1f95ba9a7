/** PostgreSQL COPY ... FROM STDIN in text format: the encoding of a value, and one COPY call. */
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const SPECIAL = /[\\\n\r\t]/;

/** One field in COPY's text format: NULL is \N; backslash, newline, carriage return and tab escaped. */
export function copyField(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (!SPECIAL.test(value)) return value;
  return value.replace(/[\\\n\r\t]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t',
  );
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
