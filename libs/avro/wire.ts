/**
 * A value in the Confluent wire format (magic byte 0, the schema id as a big-endian int32, the Avro
 * body), written once into a scratch buffer that grows and is kept. The registry client's
 * `encode` writes the body with avsc's `toBuffer`, whose shared buffer holds 1,024 bytes: every
 * larger value (most events) was written twice, then copied with its header into a third buffer.
 * The bytes are the same; an invalid value throws from avsc as `toBuffer` does.
 */
import type avro from 'avsc';

export interface WireWriter {
  write(type: avro.Type, schemaId: number, value: unknown): Buffer;
}

const HEADER = 5;

export function wireWriter(initialBytes = 16 * 1024): WireWriter {
  let scratch = Buffer.allocUnsafe(initialBytes);
  return {
    write(type, schemaId, value) {
      let end = type.encode(value, scratch, HEADER);
      if (end < 0) {
        // avsc returns minus the bytes that did not fit.
        scratch = Buffer.allocUnsafe(Math.max(2 * scratch.length, scratch.length - end));
        end = type.encode(value, scratch, HEADER);
      }
      const out = Buffer.allocUnsafe(end);
      out[0] = 0;
      out.writeInt32BE(schemaId, 1);
      scratch.copy(out, HEADER, HEADER, end);
      return out;
    },
  };
}
