/** PostgreSQL COPY ... FROM STDIN in binary format: the rows, and one COPY call. */
import type pg from 'pg';

/** PostgreSQL's epoch (2000-01-01T00:00:00Z) in Unix milliseconds: timestamps count from it. */
const PG_EPOCH_MS = 946_684_800_000;
const TEXT_OID = 25;
const BINARY_HEADER = Buffer.from([
  ...Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'),
  ...[0, 0, 0, 0], // flags
  ...[0, 0, 0, 0], // header extension length
]);
const BINARY_TRAILER = Buffer.from([0xff, 0xff]);
/** Texts up to this many characters are tried as ASCII, copied by character code. */
const SHORT_TEXT = 96;

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

  /**
   * A text (or json: its binary form is its text) field, or NULL. A short ASCII text (most fields:
   * URIs, codes, ids) is copied by character code: `Buffer.write` is a call into C++ that costs
   * more than the copy for a few dozen bytes, and a batch writes about 120 fields an event.
   */
  text(value: string | null | undefined): this {
    if (value === null || value === undefined) return this.nullField();
    const length = value.length;
    this.room(4 + length * 3);
    const buf = this.buf;
    const at = this.len + 4;
    if (length <= SHORT_TEXT) {
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code > 0x7f) break;
        buf[at + i] = code;
      }
      if (i === length) {
        buf.writeInt32BE(length, this.len);
        this.len = at + length;
        return this;
      }
    }
    const n = buf.write(value, at, 'utf8');
    buf.writeInt32BE(n, this.len);
    this.len = at + n;
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

  /**
   * Fields written already (a view from another BinaryRows' `take()`), copied as they are: what
   * several rows share (an event's time, id and vocabulary in each of its identifier rows) is
   * encoded once.
   */
  fields(encoded: Buffer): this {
    this.room(encoded.length);
    this.buf.set(encoded, this.len);
    this.len += encoded.length;
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

/** One step of a script: an SQL statement, or a binary COPY of rows (from BinaryRows) into `copy`. */
export type ScriptStep = string | { copy: string; rows: Buffer[] };

/**
 * Runs statements and binary COPYs in order as one simple query, in one write and one round trip:
 * the query text (`COPY t FROM STDIN (FORMAT binary); ...; COMMIT`) and, behind it, each COPY's
 * data and its CopyDone. The server runs the text's statements in turn and reads each COPY's data
 * when it reaches it. A COPY the usual way (pg-copy-streams) waits for the server's CopyInResponse
 * before it sends the data, and sends the frame header, the data and the CopyDone as three writes:
 * a sink's batch was twelve round trips and about twenty writes, each write to the server's socket
 * a system call that wakes it (issue 12, docs/capacity.md).
 *
 * On an error the server skips the rest of the text and, per the protocol, drops the COPY data
 * that still arrives (PostgreSQL ignores CopyData and CopyDone outside a COPY, "we probably got here
 * because a COPY failed"), so the connection stays usable: the promise rejects with the server's
 * error (its code, its table) and the next query runs. Inside a transaction block the failed
 * statement aborts the transaction, as any statement's error would.
 */
export function runScript(client: pg.ClientBase, steps: ScriptStep[]): Promise<void> {
  const live = steps.filter((s) => typeof s === 'string' || s.rows.some((r) => r.length > 0));
  if (live.length === 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const script = new Script(live);
    script.callback = (err?: Error) => (err ? reject(err) : resolve());
    client.query(script as unknown as pg.QueryConfig);
  });
}

/** Streams rows from BinaryRows into `COPY <target> FROM STDIN (FORMAT binary)`; resolves once the server took them. */
export const copyInBinary = (client: pg.ClientBase, target: string, rows: Buffer[]): Promise<void> =>
  runScript(client, [{ copy: target, rows }]);

const QUERY = 0x51; // 'Q'
const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'

/**
 * The script as node-pg's client runs a query object (a "submittable", as pg-copy-streams is):
 * `submit` writes it, the client hands it the server's replies until ReadyForQuery, or an error.
 */
class Script {
  /** The statements, as the server gets them. */
  readonly text: string;
  private readonly payload: Buffer;
  /** Set by runScript; node-pg wraps it when a query timeout is configured. */
  callback: (err?: Error) => void = () => {};

  constructor(steps: ScriptStep[]) {
    const text = steps
      .map((s) => (typeof s === 'string' ? s : `COPY ${s.copy} FROM STDIN (FORMAT binary)`))
      .join(';\n');
    this.text = text;
    const copies = steps.filter((s): s is { copy: string; rows: Buffer[] } => typeof s !== 'string');
    const textBytes = Buffer.byteLength(text, 'utf8');
    let size = 1 + 4 + textBytes + 1;
    for (const c of copies) {
      size += 1 + 4 + BINARY_HEADER.length + BINARY_TRAILER.length + 1 + 4;
      for (const r of c.rows) size += r.length;
    }
    const out = Buffer.allocUnsafe(size);
    let at = out.writeUInt8(QUERY, 0);
    at = out.writeInt32BE(4 + textBytes + 1, at);
    at += out.write(text, at, 'utf8');
    at = out.writeUInt8(0, at);
    for (const c of copies) {
      const start = at;
      at = out.writeUInt8(COPY_DATA, at) + 4;
      at += BINARY_HEADER.copy(out, at);
      for (const r of c.rows) at += r.copy(out, at);
      at += BINARY_TRAILER.copy(out, at);
      out.writeInt32BE(at - start - 1, start + 1);
      at = out.writeUInt8(COPY_DONE, at);
      at = out.writeInt32BE(4, at);
    }
    this.payload = out;
  }

  submit(connection: { stream: { write(b: Buffer): boolean } }): void {
    connection.stream.write(this.payload);
  }

  handleReadyForQuery(): void {
    this.callback();
  }

  handleError(err: Error): void {
    this.callback(err);
  }

  // Replies the script does not need: its statements' rows and counts, the COPYs' starts.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handleCopyInResponse(): void {}
  handleCopyData(): void {}
  handlePortalSuspended(): void {}
}
