/** PostgreSQL COPY ... FROM STDIN in binary format: the rows, and one COPY call. */
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** PostgreSQL's epoch (2000-01-01T00:00:00Z) in Unix milliseconds: timestamps count from it. */
const PG_EPOCH_MS = 946_684_800_000;
const TEXT_OID = 25;
const BINARY_HEADER = Buffer.from([
  ...Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'),
  ...[0, 0, 0, 0], // flags
  ...[0, 0, 0, 0], // header extension length
]);
const BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/**
 * Rows in COPY's binary format (`COPY ... FROM STDIN (FORMAT binary)`): each field its length and
 * its bytes. The server reads a field by its length instead of scanning every byte of the row for
 * delimiters and escapes, and a timestamp as its 8 bytes instead of parsing its text: the COPY
 * text's line and field scans were 13% of the sink's backend CPU, timestamp parsing 2.7% (perf,
 * issue 12, docs/capacity.md). The values stored are the same as from the text format.
 *
 * Rows are written one after another into one growing buffer; `take()` hands out what was written
 * since the last `take()` (a view, never copied again), so a batch's rows can be kept per event.
 */
export class BinaryRows {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private len = 0;
  private taken = 0;

  /** Starts a row of `fields` fields. */
  row(fields: number): this {
    this.room(2);
    this.len = this.buf.writeInt16BE(fields, this.len);
    return this;
  }

  /** A text (or json: its binary form is its text) field, or NULL. */
  text(value: string | null | undefined): this {
    if (value === null || value === undefined) return this.nullField();
    this.room(4 + value.length * 3);
    const n = this.buf.write(value, this.len + 4, 'utf8');
    this.buf.writeInt32BE(n, this.len);
    this.len += 4 + n;
    return this;
  }

  /** A timestamptz from Unix milliseconds (microseconds since 2000-01-01 UTC, 8 bytes), or NULL. */
  time(ms: number | null | undefined): this {
    if (ms === null || ms === undefined) return this.nullField();
    return this.int8((ms - PG_EPOCH_MS) * 1000);
  }

  /** A bigint field (a whole number within ±2^53). */
  int8(value: number): this {
    this.room(12);
    const high = Math.floor(value / 2 ** 32);
    this.len = this.buf.writeInt32BE(8, this.len);
    this.len = this.buf.writeInt32BE(high, this.len);
    this.len = this.buf.writeUInt32BE(value - high * 2 ** 32, this.len);
    return this;
  }

  /** A text[] field of non-null values (one dimension from 1; no dimension when empty). */
  textArray(values: string[]): this {
    this.room(24);
    // Where the field starts, from what is not taken yet: room() may move that to a new buffer.
    const start = this.len - this.taken;
    this.len += 4; // the field's length, written at the end
    this.len = this.buf.writeInt32BE(values.length === 0 ? 0 : 1, this.len); // dimensions
    this.len = this.buf.writeInt32BE(0, this.len); // no NULLs
    this.len = this.buf.writeInt32BE(TEXT_OID, this.len);
    if (values.length > 0) {
      this.len = this.buf.writeInt32BE(values.length, this.len);
      this.len = this.buf.writeInt32BE(1, this.len); // lower bound
    }
    for (const v of values) this.text(v);
    this.buf.writeInt32BE(this.len - this.taken - start - 4, this.taken + start);
    return this;
  }

  /** The rows written since the last take(). */
  take(): Buffer {
    const rows = this.buf.subarray(this.taken, this.len);
    this.taken = this.len;
    return rows;
  }

  private nullField(): this {
    this.room(4);
    this.len = this.buf.writeInt32BE(-1, this.len);
    return this;
  }

  /** Makes room for `bytes` more; what was taken stays where it is (its views keep the old buffer). */
  private room(bytes: number): void {
    if (this.len + bytes <= this.buf.length) return;
    const pending = this.len - this.taken;
    const next = Buffer.allocUnsafe(Math.max(64 * 1024, 2 * (pending + bytes)));
    this.buf.copy(next, 0, this.taken, this.len);
    this.buf = next;
    this.taken = 0;
    this.len = pending;
  }
}

/** Streams rows from BinaryRows into `COPY <target> FROM STDIN (FORMAT binary)`; resolves once the server took them. */
export function copyInBinary(client: pg.PoolClient, target: string, rows: Buffer[]): Promise<void> {
  if (rows.every((r) => r.length === 0)) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const stream = client.query(copyFrom(`COPY ${target} FROM STDIN (FORMAT binary)`));
    stream.on('error', reject);
    stream.on('finish', () => resolve());
    stream.end(Buffer.concat([BINARY_HEADER, ...rows, BINARY_TRAILER]));
  });
}
