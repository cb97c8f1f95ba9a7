/**
 * `unitrail bench produce-encoding`: what building one Produce request costs per record, in this
 * process and with no broker: the request kafkajs sends for `producer.send` (its v3 encoding, which
 * v4 to v7 reuse), framed as its connection frames it, by kafkajs's own encoder and by the one-pass
 * encoder every unitrail process installs (libs/kafka/produce-encoding.ts), for batches of records
 * the size a stage sends. Every hop of the split deployment pays this once per record.
 */
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import { encodeProduceInOnePass } from '../kafka';
import { ownCpuMicros } from './cpu';

interface KafkajsEncoder {
  buffer: Buffer;
}
type ProduceV3 = (args: {
  acks: number;
  timeout: number;
  topicData: {
    topic: string;
    partitions: {
      partition: number;
      messages: { key: Buffer | null; value: Buffer; headers: Record<string, string> }[];
    }[];
  }[];
}) => { apiKey: number; apiVersion: number; encode: () => Promise<KafkajsEncoder> };
type Frame = (args: {
  correlationId: number;
  clientId: string;
  request: { apiKey: number; apiVersion: number; encode: () => Promise<KafkajsEncoder> };
}) => Promise<KafkajsEncoder>;
type Crc32C = (buf: Buffer) => number;

// Internals of kafkajs (not its API): this measures exactly the code its producer runs.
const kafkajs = createRequire(require.resolve('kafkajs'));
const produceV3 = kafkajs('./src/protocol/requests/produce/v3/request') as ProduceV3;
const produceRequests = kafkajs('./src/protocol/requests/produce') as {
  protocol: (o: {
    version: number;
  }) => (args: Parameters<ProduceV3>[0]) => { request: ReturnType<ProduceV3> };
};
const frame = kafkajs('./src/protocol/request') as Frame;
const crc32C = kafkajs('./src/protocol/recordBatch/crc32C') as Crc32C;

export interface ProduceEncodingCase {
  records: number;
  value_bytes: number;
  request_bytes: number;
  /** CPU µs per record to encode and frame the request, by kafkajs's own encoder. */
  encode_us_per_record: number;
  /** The same by unitrail's one-pass encoder (libs/kafka/produce-encoding.ts): the same bytes. */
  one_pass_us_per_record: number;
  /** Of which the batch's CRC-32C (kafkajs computes it in JavaScript), µs per record. */
  crc32c_us_per_record: number;
}

export interface ProduceEncodingResult {
  load_average: number[];
  cases: ProduceEncodingCase[];
}

export async function benchProduceEncoding({
  records = [1, 50, 500],
  valueBytes = [400, 2000],
  minRecords = 20_000,
}: { records?: number[]; valueBytes?: number[]; minRecords?: number } = {}): Promise<ProduceEncodingResult> {
  encodeProduceInOnePass();
  const cases: ProduceEncodingCase[] = [];
  for (const size of valueBytes) {
    for (const n of records) {
      const messages = Array.from({ length: n }, (_, i) => ({
        key: Buffer.from(`https://id.gs1.org/01/09506000134352/21/S${String(i).padStart(10, '0')}`),
        value: crypto.randomBytes(size),
        headers: { 'ut-origin-ts': String(Date.now()) },
      }));
      const args = {
        acks: -1,
        timeout: 30_000,
        topicData: [{ topic: 'ut.journey.v1', partitions: [{ partition: 0, messages }] }],
      };
      const kafkajsRequest = () =>
        frame({ correlationId: 1, clientId: 'unitrail-bench', request: produceV3(args) });
      const onePassRequest = () =>
        frame({
          correlationId: 1,
          clientId: 'unitrail-bench',
          request: produceRequests.protocol({ version: 3 })(args).request,
        });
      const rounds = Math.max(40, Math.ceil(minRecords / n));
      const time = async (request: () => Promise<KafkajsEncoder>) => {
        let bytes = 0;
        for (let i = 0; i < Math.min(rounds, 50); i++) await request(); // warm up the JIT
        const t0 = process.cpuUsage();
        for (let i = 0; i < rounds; i++) bytes = (await request()).buffer.length;
        return { us: ownCpuMicros(t0) / rounds / n, bytes };
      };
      const theirs = await time(kafkajsRequest);
      const ours = await time(onePassRequest);
      if (ours.bytes !== theirs.bytes)
        throw new Error(`produce encoding: ${ours.bytes} bytes in one pass, ${theirs.bytes} by kafkajs`);
      const payload = crypto.randomBytes(n * size);
      const c0 = process.cpuUsage();
      for (let i = 0; i < rounds; i++) crc32C(payload);
      const crcUs = ownCpuMicros(c0) / rounds / n;
      cases.push({
        records: n,
        value_bytes: size,
        request_bytes: theirs.bytes,
        encode_us_per_record: Math.round(theirs.us * 100) / 100,
        one_pass_us_per_record: Math.round(ours.us * 100) / 100,
        crc32c_us_per_record: Math.round(crcUs * 100) / 100,
      });
    }
  }
  return { load_average: os.loadavg().map((l) => Math.round(l * 100) / 100), cases };
}
