/**
 * kafkajs 2.2.4 builds a Produce request out of nested encoders: one per record, per header, per
 * batch, per partition, per topic, each starting at 512 bytes, growing by doubling into a new
 * zero-filled buffer and then copied whole into the next one out, with a new Buffer for every
 * varint it writes. `unitrail bench produce-encoding` timed it at 13–17 µs per 400-byte record and
 * 24–35 µs per 2,000-byte record in batches of 500: on every hop of the split deployment, once per
 * record (a V8 profile put 13–16% of each split stage's samples there).
 *
 * This writes the same bytes in one pass: the payload's size is computed first, one buffer is
 * allocated, and each key, value and header is copied into it once. Only the common case is taken
 * (no compression, no per-message timestamps, the shapes kafkajs documents for keys, values and
 * headers); anything else goes to kafkajs's own encoder, unchanged. The unit test holds the bytes
 * equal to kafkajs's for every shape taken.
 */
import { createRequire } from 'node:module';

type Bytes = Buffer | string | null | undefined;
type Headers = Record<string, Bytes | Bytes[]>;

export interface ProduceMessage {
  key?: Bytes;
  value: Bytes;
  headers?: Headers;
  timestamp?: number | string | null;
}

export interface ProduceArgs {
  acks: number;
  timeout: number;
  compression?: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  topicData: {
    topic: string;
    partitions: { partition: number; firstSequence?: number; messages: ProduceMessage[] }[];
  }[];
}

interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
  buffer: Buffer;
}
interface KafkajsLong {
  getHighBits(): number;
  getLowBits(): number;
}
type ProduceRequest = { encode: () => Promise<KafkajsEncoder> } & Record<string, unknown>;
type ProduceProtocol = (o: {
  version: number;
}) => ((args: ProduceArgs) => { request: ProduceRequest; response: unknown }) | undefined;

// kafkajs's internal modules (untyped): its Encoder (what the connection frames), Long and CRC-32C.
const kafkajs = createRequire(require.resolve('kafkajs'));
const Encoder = kafkajs('./src/protocol/encoder') as new (initialSize?: number) => KafkajsEncoder;
const Long = kafkajs('./src/utils/long') as {
  fromValue(v: unknown): KafkajsLong;
  fromInt(v: number): unknown;
};
const crc32C = kafkajs('./src/protocol/recordBatch/crc32C') as (buf: Buffer) => number;
const produceRequests = kafkajs('./src/protocol/requests/produce') as { protocol: ProduceProtocol };

const NO_COMPRESSION = 0;
const MAGIC = 2;
const TRANSACTIONAL = 16;

const isBytes = (v: unknown): v is Bytes =>
  v === null || v === undefined || typeof v === 'string' || Buffer.isBuffer(v);

const byteLength = (v: Buffer | string) => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length);

/** Zigzag, then LEB128: bytes of a signed 32-bit varint. */
function varIntSize(n: number): number {
  let v = ((n << 1) ^ (n >> 31)) >>> 0;
  let size = 1;
  while (v >= 0x80) {
    v >>>= 7;
    size++;
  }
  return size;
}

/** A varint-length-prefixed byte string (-1 for null), as a record's key, value or header value. */
const varBytesSize = (v: Bytes) => {
  if (v === null || v === undefined) return varIntSize(-1);
  const n = byteLength(v);
  return varIntSize(n) + n;
};

class Writer {
  offset = 0;
  constructor(readonly buf: Buffer) {}
  int8(v: number) {
    this.offset = this.buf.writeInt8(v, this.offset);
  }
  int16(v: number) {
    this.offset = this.buf.writeInt16BE(v, this.offset);
  }
  int32(v: number) {
    this.offset = this.buf.writeInt32BE(v, this.offset);
  }
  uint32(v: number) {
    this.offset = this.buf.writeUInt32BE(v, this.offset);
  }
  int64(v: unknown) {
    const long = Long.fromValue(v);
    this.int32(long.getHighBits());
    this.int32(long.getLowBits());
  }
  /** A string with an int16 length (-1 for null). */
  string(v: string | null) {
    if (v === null) return this.int16(-1);
    const n = Buffer.byteLength(v, 'utf8');
    this.int16(n);
    this.offset += this.buf.write(v, this.offset, n, 'utf8');
  }
  varInt(n: number) {
    let v = ((n << 1) ^ (n >> 31)) >>> 0;
    while (v >= 0x80) {
      this.buf[this.offset++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.offset++] = v;
  }
  varBytes(v: Bytes) {
    if (v === null || v === undefined) return this.varInt(-1);
    if (typeof v === 'string') {
      const n = Buffer.byteLength(v, 'utf8');
      this.varInt(n);
      this.offset += this.buf.write(v, this.offset, n, 'utf8');
    } else {
      this.varInt(v.length);
      this.offset += v.copy(this.buf, this.offset);
    }
  }
}

interface PreparedRecord {
  bodySize: number;
  key: Bytes;
  value: Bytes;
  headers: [string, Buffer | string][];
}

function prepareRecord(m: ProduceMessage, offsetDelta: number): PreparedRecord | null {
  if (!isBytes(m.key) || !isBytes(m.value)) return null;
  const headers: [string, Buffer | string][] = [];
  // A header value is a string or a Buffer, or a list of them (kafkajs throws on null: not taken).
  const isHeaderValue = (v: unknown): v is Buffer | string => typeof v === 'string' || Buffer.isBuffer(v);
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (Array.isArray(v)) {
      for (const one of v) {
        if (!isHeaderValue(one)) return null;
        headers.push([k, one]);
      }
    } else {
      if (!isHeaderValue(v)) return null;
      headers.push([k, v]);
    }
  }
  let headersSize = varIntSize(headers.length);
  for (const [k, v] of headers) headersSize += varBytesSize(k) + varBytesSize(v);
  // attributes, timestampDelta (0: no message carries a timestamp), offsetDelta, key, value, headers
  const bodySize =
    1 + 1 + varIntSize(offsetDelta) + varBytesSize(m.key) + varBytesSize(m.value) + headersSize;
  return { bodySize, key: m.key, value: m.value, headers };
}

/**
 * The Produce request's body (v3, the encoding of v3 to v7) as kafkajs's own encoder writes it, or
 * null where this does not take the request (kafkajs's encoder then does).
 */
export function encodeProducePayload(args: ProduceArgs, now: number = Date.now()): Buffer | null {
  if ((args.compression ?? NO_COMPRESSION) !== NO_COMPRESSION) return null;
  const transactionalId = args.transactionalId ?? null;
  const producerId = args.producerId ?? Long.fromInt(-1);
  const producerEpoch = args.producerEpoch ?? 0;
  let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId, 'utf8')) + 2 + 4 + 4;
  const topics: {
    topic: string;
    partitions: { partition: number; firstSequence: number; records: PreparedRecord[]; batchSize: number }[];
  }[] = [];
  for (const { topic, partitions } of args.topicData) {
    size += 2 + Buffer.byteLength(topic, 'utf8') + 4;
    const prepared = [];
    for (const { partition, firstSequence = 0, messages } of partitions) {
      const records: PreparedRecord[] = [];
      // batch body: attributes, lastOffsetDelta, first and max timestamp, producer id and epoch,
      // first sequence, record count
      let bodySize = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        if (m.timestamp !== undefined && m.timestamp !== null) return null;
        const r = prepareRecord(m, i);
        if (r === null) return null;
        records.push(r);
        bodySize += varIntSize(r.bodySize) + r.bodySize;
      }
      // firstOffset, the batch's length, partitionLeaderEpoch, magic, CRC, then the body
      const batchSize = 8 + 4 + 4 + 1 + 4 + bodySize;
      size += 4 + 4 + batchSize;
      prepared.push({ partition, firstSequence, records, batchSize });
    }
    topics.push({ topic, partitions: prepared });
  }

  const w = new Writer(Buffer.allocUnsafe(size));
  w.string(transactionalId);
  w.int16(args.acks);
  w.int32(args.timeout);
  w.int32(topics.length);
  for (const { topic, partitions } of topics) {
    w.string(topic);
    w.int32(partitions.length);
    for (const { partition, firstSequence, records, batchSize } of partitions) {
      w.int32(partition);
      w.int32(batchSize);
      w.int64(0); // firstOffset
      w.int32(batchSize - 12); // the bytes after this length
      w.int32(0); // partitionLeaderEpoch
      w.int8(MAGIC);
      const crcAt = w.offset;
      w.offset += 4;
      const bodyAt = w.offset;
      w.int16(transactionalId ? TRANSACTIONAL : 0);
      w.int32(records.length - 1);
      w.int64(now);
      w.int64(now);
      w.int64(producerId);
      w.int16(producerEpoch);
      w.int32(firstSequence);
      w.int32(records.length);
      records.forEach((r, i) => {
        w.varInt(r.bodySize);
        w.int8(0);
        w.varInt(0); // timestampDelta
        w.varInt(i);
        w.varBytes(r.key);
        w.varBytes(r.value);
        w.varInt(r.headers.length);
        for (const [k, v] of r.headers) {
          w.varBytes(k);
          w.varBytes(v);
        }
      });
      w.buf.writeUInt32BE(crc32C(w.buf.subarray(bodyAt, w.offset)), crcAt);
    }
  }
  if (w.offset !== size) throw new Error(`produce encoding: wrote ${w.offset} bytes of ${size}`);
  return w.buf;
}

/** An Encoder of kafkajs holding `bytes`, as a request's encode() hands it to the connection. */
function asEncoder(bytes: Buffer): KafkajsEncoder {
  const e = new Encoder(1);
  e.buf = bytes;
  e.offset = bytes.length;
  return e;
}

const PATCHED = Symbol.for('unitrail.kafkajs.produce.onePass');

/**
 * Makes kafkajs encode Produce requests (v3 and up) in one pass; idempotent, once per process. A
 * request this does not take keeps kafkajs's encoder.
 */
export function encodeProduceInOnePass(): void {
  const holder = produceRequests as { protocol: ProduceProtocol; [PATCHED]?: true };
  if (holder[PATCHED]) return;
  const protocol = holder.protocol;
  holder.protocol = ({ version }) => {
    const make = protocol({ version });
    if (!make || version < 3) return make;
    return (args) => {
      const made = make(args);
      const kafkajsEncode = made.request.encode;
      made.request.encode = async () => {
        const bytes = encodeProducePayload(args);
        return bytes === null ? kafkajsEncode() : asEncoder(bytes);
      };
      return made;
    };
  };
  holder[PATCHED] = true;
}
