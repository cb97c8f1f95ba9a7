/**
 * Poison records never stall a partition (issue 13 §1): records that pass the door but fail for
 * good further on (NUL in an EPCIS bizStep or EPC, an MES plantTimeMs of 9e15, NUL in an MES
 * machineId) are produced among valid records. Every valid record must land (checked by event id),
 * every poison record must be in ut.dlq with a reason (traced back to its raw coordinates, whichever
 * stage set it apart), and no stage may die.
 */
import type pg from 'pg';
import type { Kafka } from 'kafkajs';
import { config, Stages, waitFor, randomSeed } from './helpers';
import { createKafka } from '../libs/kafka';
import { createCodec } from '../libs/avro';
import { createPool } from '../libs/store';
import { demoMasterdata, generateDemo, type DemoRecord } from '../libs/demo';
import { loadMasterdata } from '../libs/masterdata';
import { produceRecords } from '../libs/demo';
import { normalize, type EpcisEventEnvelope, type MesUnitEvent } from '../libs/sources';
import { rawTopics, topics } from '../libs/topics';
import { stageNames } from '../services/stages';

jest.setTimeout(300_000);

const kafka: Kafka = createKafka({ brokers: config.kafkaBrokers });
const codec = createCodec({ url: config.schemaRegistryUrl });
let pool: pg.Pool;
const stages = new Stages();

beforeAll(async () => {
  pool = createPool(config.databaseUrl);
  await loadMasterdata(pool, kafka, codec, demoMasterdata());
  stages.start(...stageNames);
});
afterAll(async () => {
  await stages.stopAll();
  await pool.end();
});

interface Coords {
  topic: string;
  partition: number;
  offset: number;
}

/** Produces one record and returns where it landed. */
async function produceOne(topic: string, key: string, value: unknown): Promise<Coords> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    const [meta] = await producer.send({
      topic,
      acks: -1,
      messages: [{ key, value: await codec.encode(topic, value) }],
    });
    return { topic, partition: meta!.partition, offset: Number(meta!.baseOffset) };
  } finally {
    await producer.disconnect();
  }
}

const epcisEnvelope = (seed: number, over: Record<string, unknown>): EpcisEventEnvelope => ({
  captureId: `poison-${seed}`,
  eventIndex: 0,
  documentFormat: 'json',
  event: JSON.stringify({
    type: 'ObjectEvent',
    eventTime: new Date(Date.now() - 3_600_000).toISOString(),
    eventTimeZoneOffset: '+00:00',
    epcList: [`urn:epc:id:sgtin:4012345.011111.P${seed}`],
    action: 'OBSERVE',
    bizStep: 'shipping',
    readPoint: { id: 'urn:epc:id:sgln:4012345.00001.0' },
    ...over,
  }),
  namespaces: {},
  receivedAt: Date.now(),
  producer: null,
});

/** The raw record a DLQ row stands for: its own coordinates, or (set apart after the validator) its event's lineage. */
async function rawCoordsOf(row: {
  source_topic: string;
  source_partition: number;
  source_offset: string;
  original_value: Buffer | null;
}): Promise<string | null> {
  if (rawTopics.some((t) => t === row.source_topic))
    return `${row.source_topic}/${row.source_partition}/${row.source_offset}`;
  if (row.source_topic === topics.dlq.name || !row.original_value) return null;
  try {
    const { value } = await codec.decode<{ lineage?: { topic: string; partition: number; offset: number } }>(
      row.original_value,
    );
    return value.lineage ? `${value.lineage.topic}/${value.lineage.partition}/${value.lineage.offset}` : null;
  } catch {
    return null;
  }
}

const key = (c: Coords) => `${c.topic}/${c.partition}/${c.offset}`;

describe('poison records', () => {
  it('go to the DLQ with a reason while every valid record around them lands and no stage dies', async () => {
    const seed = randomSeed();
    const started = new Date(Date.now() - 1000);
    const valid = generateDemo({ events: 400, seed }).filter((r) => r.kind === 'valid');
    const mes = valid.find((r) => r.topic === topics.rawMes.name)!;
    const mesValue = mes.value as MesUnitEvent;

    await produceRecords(kafka, codec, valid.slice(0, 200));
    const poison: Record<string, Coords> = {
      'NUL in an EPCIS bizStep': await produceOne(
        topics.rawEpcis.name,
        `p1-${seed}`,
        epcisEnvelope(seed, { bizStep: 'shipping\u0000' }),
      ),
      'NUL in an EPCIS EPC': await produceOne(
        topics.rawEpcis.name,
        `p2-${seed}`,
        epcisEnvelope(seed, { epcList: [`urn:epc:id:sgtin:4012345.011111.P\u0000${seed}`] }),
      ),
      'MES plantTimeMs 9e15': await produceOne(topics.rawMes.name, mes.key, {
        ...mesValue,
        msgId: `${mesValue.msgId}-time`,
        plantTimeMs: 9e15,
      }),
      'NUL in an MES machineId': await produceOne(topics.rawMes.name, mes.key, {
        ...mesValue,
        msgId: `${mesValue.msgId}-nul`,
        machineId: `${mesValue.machineId}\u0000`,
      }),
    };
    await produceRecords(kafka, codec, valid.slice(200));

    const lineage = { topic: '', partition: 0, offset: 0, schemaId: 0 }; // the hash does not depend on it
    const expected = valid.map(
      (r: DemoRecord) => normalize(r.topic, r.value, { ...lineage, topic: r.topic }).eventId,
    );
    await waitFor('every valid record to land', async () => {
      const rows = await pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM ut.events WHERE event_id = ANY($1)',
        [expected],
      );
      return Number(rows.rows[0]!.n) === expected.length;
    });

    const wanted = new Map(Object.entries(poison).map(([what, c]) => [key(c), what]));
    const found = await waitFor('every poison record in ut.dlq', async () => {
      const rows = await pool.query<{
        source_topic: string;
        source_partition: number;
        source_offset: string;
        original_value: Buffer | null;
        reason_codes: string[];
        reasons: { code: string; message: string }[];
      }>(
        `SELECT source_topic, source_partition, source_offset, original_value, reason_codes, reasons
           FROM ut.dlq WHERE failed_at >= $1`,
        [started],
      );
      const byWhat = new Map<string, { reason_codes: string[]; reasons: unknown[] }>();
      for (const row of rows.rows) {
        const at = await rawCoordsOf(row);
        const what = at ? wanted.get(at) : undefined;
        if (what) byWhat.set(what, row);
      }
      return byWhat.size === wanted.size && byWhat;
    });
    for (const [what, row] of found) {
      expect([what, row.reason_codes.length > 0]).toEqual([what, true]);
      expect(row.reasons.length).toBeGreaterThan(0);
    }

    for (const [name, child] of stages.children) {
      expect([name, child.exitCode, child.signalCode]).toEqual([name, null, null]);
    }
  });
});
