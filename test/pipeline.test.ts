/**
 * End to end: every stage as its own process on the real stack; the demo stream in; PostgreSQL
 * must end with exactly the unique valid events (checked by event id), the DLQ with exactly the
 * invalid records, and every duplicate dropped and counted.
 */
import type Redis from 'ioredis';
import type pg from 'pg';
import { config, randomSeed, redis, seenPrefix, Stages, waitFor } from './helpers';
import { createKafka } from '../libs/kafka';
import { createCodec } from '../libs/avro';
import { createPool } from '../libs/store';
import { demoCounts, demoMasterdata, generateDemo, type DemoRecord } from '../libs/demo';
import { loadMasterdata } from '../libs/masterdata';
import { accountFor, produceRecords, rawEndOffsets, type Accounts } from '../libs/demo';
import { normalize, type MesUnitEvent } from '../libs/sources';
import { gs1CheckDigit } from '../libs/gs1';
import { stageNames } from '../services/stages';

jest.setTimeout(300_000);

const kafka = createKafka({ brokers: config.kafkaBrokers });
const codec = createCodec({ url: config.schemaRegistryUrl });
let pool: pg.Pool;
let r: Redis;
const stages = new Stages();

beforeAll(async () => {
  pool = createPool(config.databaseUrl);
  r = redis();
  await loadMasterdata(pool, kafka, codec, demoMasterdata());
  stages.start(...stageNames);
});
afterAll(async () => {
  await stages.stopAll();
  await pool.end();
  r.disconnect();
});

type Ranges = Awaited<ReturnType<typeof rawEndOffsets>>;

async function produce(records: DemoRecord[]): Promise<{ before: Ranges; after: Ranges }> {
  const before = await rawEndOffsets(kafka);
  await produceRecords(kafka, codec, records);
  return { before, after: await rawEndOffsets(kafka) };
}

const settled = (a: Accounts) => a.landed + a.duplicates + a.dlq >= a.produced && a;

async function landedIds({ before, after }: { before: Ranges; after: Ranges }): Promise<string[]> {
  const ids: string[] = [];
  for (const topic of Object.keys(after)) {
    for (const [partition, to] of after[topic]!) {
      const from = before[topic]?.get(partition) ?? 0;
      const rows = await pool.query<{ event_id: string }>(
        `SELECT event_id FROM ut.events WHERE lineage LIKE $1
            AND split_part(lineage, '/', 3)::bigint >= $2 AND split_part(lineage, '/', 3)::bigint < $3`,
        [`${topic}/${partition}/%`, from, to],
      );
      ids.push(...rows.rows.map((x) => x.event_id));
    }
  }
  return ids.sort();
}

function expectedIds(records: DemoRecord[]): string[] {
  const lineage = { topic: '', partition: 0, offset: 0, schemaId: 0 }; // the hash does not depend on it
  return records
    .filter((x) => x.kind === 'valid')
    .map((x) => normalize(x.topic, x.value, { ...lineage, topic: x.topic }).eventId)
    .sort();
}

describe('pipeline end to end', () => {
  it('lands exactly the unique valid events, sends exactly the invalid ones to the DLQ, drops duplicates', async () => {
    const records = generateDemo({ events: 3000, dupRate: 0.05, invalidRate: 0.02, seed: randomSeed() });
    const expected = demoCounts(records);
    const ranges = await produce(records);
    const accounts = await waitFor('every record accounted for', async () =>
      settled(await accountFor(pool, r, ranges.before, ranges.after, await seenPrefix())),
    );
    expect(accounts).toEqual({
      produced: 3000,
      landed: expected.unique_valid,
      duplicates: expected.duplicates,
      dlq: expected.invalid,
    });
    expect(await landedIds(ranges)).toEqual(expectedIds(records));
  });

  it('loses nothing when stages are stopped with SIGTERM mid-run and started again with `unitrail run`', async () => {
    const records = generateDemo({ events: 3000, dupRate: 0.05, invalidRate: 0.01, seed: randomSeed() });
    const expected = demoCounts(records);
    const ranges = await produce(records);
    await waitFor('the sink to be half-way', async () => {
      const a = await accountFor(pool, r, ranges.before, ranges.after, await seenPrefix());
      return a.landed > 0 && a;
    });
    expect(await stages.signal('journey-sink', 'SIGTERM')).toBe(0);
    expect(await stages.signal('deduplicator', 'SIGTERM')).toBe(0);
    stages.start('journey-sink', 'deduplicator');
    const accounts = await waitFor('every record accounted for', async () =>
      settled(await accountFor(pool, r, ranges.before, ranges.after, await seenPrefix())),
    );
    expect(accounts).toEqual({
      produced: records.length,
      landed: expected.unique_valid,
      duplicates: expected.duplicates,
      dlq: expected.invalid,
    });
    expect(await landedIds(ranges)).toEqual(expectedIds(records));
  });
});

describe('aggregation consistency end to end', () => {
  it('sends packing a unit that is still inside another case to the DLQ with its reason', async () => {
    const seed = randomSeed();
    const [commission, pack] = generateDemo({ events: 2, seed }); // COMMISSION then PACK of one case
    const packed = pack!.value as MesUnitEvent;
    const otherCase = '240123450' + String(seed).padStart(9, '0').slice(-8);
    const repack: DemoRecord = {
      ...pack!,
      value: {
        ...packed,
        msgId: `${packed.msgId}-again`,
        caseSscc: otherCase + gs1CheckDigit(otherCase),
        plantTimeMs: packed.plantTimeMs + 60_000,
      },
    };
    const first = await produce([commission!, pack!]);
    const packEventId = normalize(pack!.topic, pack!.value, {
      topic: pack!.topic,
      partition: 0,
      offset: 0,
      schemaId: 0,
    }).eventId;
    // The commissioning is keyed by the first unit and the packing by the case: two journey
    // partitions, so either may land first. Wait for both before packing again.
    await waitFor(
      'the commissioning and the first packing to land',
      async () =>
        (await pool.query('SELECT 1 FROM ut.events WHERE event_id = $1', [packEventId])).rowCount === 1 &&
        (await landedIds(first)).length === 2,
    );
    expect(await landedIds(first)).toEqual(expectedIds([commission!, pack!]));
    const second = await produce([repack]);
    const topic = Object.keys(second.after).find((t) =>
      [...second.after[t]!].some(([p, to]) => to > (second.before[t]?.get(p) ?? 0)),
    )!;
    const reasons = await waitFor('the repacking in the DLQ', async () => {
      const rows = await pool.query<{ reason_codes: string[] }>(
        'SELECT reason_codes FROM ut.dlq WHERE source_topic = $1 AND source_offset >= $2',
        [topic, Math.min(...[...second.before[topic]!.values()])],
      );
      return rows.rows.find((r) => r.reason_codes.includes('CHILD_IN_OTHER_PARENT'));
    });
    // One reason per unit of the case, each naming the case it is still in.
    expect(reasons.reason_codes).toEqual(Array(packed.serials.length).fill('CHILD_IN_OTHER_PARENT'));
  });
});
