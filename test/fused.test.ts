/**
 * The fused deployment end to end: `unitrail run pipeline` (validator → deduplicator → enricher →
 * router → journey-sink in one process, group ut.pipeline) beside the surge and DLQ sinks. The demo
 * stream must land exactly: the unique valid events by event id, the invalid ones in the DLQ under
 * the validator's name, duplicates dropped. A record that fails for good after the deduplicator
 * claimed its hash lands when it is replayed from the DLQ, instead of counting as its own duplicate.
 * The cases stage beside it hears the journey the fused process passes in memory: a pallet received
 * with other items than were palletised into it opens its MISLABELED_PALLET case, and a record
 * refused for its unknown product resolves its MISSING_SKU case when, replayed, it lands.
 */
import crypto from 'node:crypto';
import type Redis from 'ioredis';
import type pg from 'pg';
import { config, randomSscc, randomSeed, redis, seenPrefix, Stages, waitFor, wmsRecord } from './helpers';
import { createKafka, startGroupsAtEnd } from '../libs/kafka';
import { createCodec } from '../libs/avro';
import { createPool } from '../libs/store';
import { demoCounts, demoMasterdata, generateDemo, world, type DemoRecord } from '../libs/demo';
import { caseIdOf } from '../libs/cases';
import { gs1CheckDigit, toDigitalLink } from '../libs/gs1';
import type { WmsMovement } from '../libs/sources';
import { loadMasterdata } from '../libs/masterdata';
import { accountFor, produceRecords, rawEndOffsets } from '../libs/demo';
import { normalize } from '../libs/sources';
import { rawTopics } from '../libs/topics';
import { fusedPipeline } from '../services/stages';
import { replayDlq } from '../libs/dlq';

jest.setTimeout(600_000);

const kafka = createKafka({ brokers: config.kafkaBrokers });
const codec = createCodec({ url: config.schemaRegistryUrl });
let pool: pg.Pool;
let r: Redis;
const stages = new Stages();

beforeAll(async () => {
  pool = createPool(config.databaseUrl);
  r = redis();
  await loadMasterdata(pool, kafka, codec, demoMasterdata());
  // The fused group starts where the raw topics end now: earlier tests' records are not its work.
  // (Committed as offsets: resetOffsets commits -1, which the consumer takes for "from the beginning".)
  await startGroupsAtEnd(kafka, { 'ut.pipeline': rawTopics });
  stages.start(fusedPipeline.name, ...fusedPipeline.alongside);
});
afterAll(async () => {
  await stages.stopAll();
  await pool.end();
  r.disconnect();
});

const tag = crypto.randomBytes(3).toString('hex').toUpperCase();
const wms = (movementType: WmsMovement['movementType'], at: number, extra: Partial<WmsMovement>) =>
  wmsRecord(`F${tag}`, movementType, at, extra);
const eventIdOf = (x: DemoRecord) =>
  normalize(x.topic, x.value, { topic: x.topic, partition: 0, offset: 0, schemaId: 0 }).eventId;

describe('unitrail run pipeline (fused)', () => {
  // A raw record that is not Avro at all counts in the validator's name here, as in the split
  // deployment: the fused stage names its first stage in the DLQ record of what it cannot decode.
  it('lands exactly the unique valid events, sends exactly the invalid ones to the DLQ, drops duplicates', async () => {
    const records = generateDemo({ events: 1000, dupRate: 0.05, invalidRate: 0.02, seed: randomSeed() });
    const expected = demoCounts(records);
    const before = await rawEndOffsets(kafka);
    await produceRecords(kafka, codec, records);
    const after = await rawEndOffsets(kafka);
    const accounts = await waitFor(
      'every record accounted for',
      async () => {
        const a = await accountFor(pool, r, before, after, await seenPrefix());
        return a.landed + a.duplicates + a.dlq >= a.produced && a;
      },
      { timeoutMs: 400_000 },
    );
    expect(accounts).toEqual({
      produced: 1000,
      landed: expected.unique_valid,
      duplicates: expected.duplicates,
      dlq: expected.invalid,
    });
    const ids: string[] = [];
    for (const topic of Object.keys(after)) {
      for (const [partition, to] of after[topic]!) {
        const rows = await pool.query<{ event_id: string }>(
          `SELECT event_id FROM ut.events WHERE lineage LIKE $1
              AND split_part(lineage, '/', 3)::bigint >= $2 AND split_part(lineage, '/', 3)::bigint < $3`,
          [`${topic}/${partition}/%`, before[topic]?.get(partition) ?? 0, to],
        );
        ids.push(...rows.rows.map((x) => x.event_id));
      }
    }
    const lineage = { topic: '', partition: 0, offset: 0, schemaId: 0 };
    const wanted = records
      .filter((x) => x.kind === 'valid')
      .map((x) => normalize(x.topic, x.value, { ...lineage, topic: x.topic }).eventId);
    expect(ids.sort()).toEqual(wanted.sort());
    for (const [name, child] of stages.children) {
      expect([name, child.exitCode, child.signalCode]).toEqual([name, null, null]);
    }
  });

  it('lands a record replayed from the DLQ after the sink refused it past the deduplicator', async () => {
    const [record] = generateDemo({ events: 1, seed: randomSeed() });
    const lineage = { topic: record!.topic, partition: 0, offset: 0, schemaId: 0 };
    const eventId = normalize(record!.topic, record!.value, lineage).eventId;
    // The sink refuses this event for good (a database error no retry mends): after the claim.
    await pool.query(`CREATE OR REPLACE FUNCTION public.ut_test_refuse_identifier() RETURNS trigger
      LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the fused DLQ replay test'; END $$`);
    await pool.query(`CREATE TRIGGER ut_test_refuse BEFORE INSERT ON ut.event_identifiers FOR EACH ROW
      WHEN (NEW.event_id = '${eventId}') EXECUTE FUNCTION public.ut_test_refuse_identifier()`);
    try {
      const since = (await pool.query<{ t: Date }>('SELECT now() AS t')).rows[0]!.t;
      await produceRecords(kafka, codec, [record!]);
      const failed = await waitFor(
        'the refused record in the DLQ',
        async () =>
          (
            await pool.query<{ dlq_id: string; stage: string; source_topic: string }>(
              `SELECT dlq_id, stage, source_topic FROM ut.dlq
                WHERE stage = 'journey-sink' AND source_topic = $1 AND failed_at >= $2`,
              [record!.topic, since],
            )
          ).rows[0],
        { timeoutMs: 120_000 },
      );
      await pool.query('DROP TRIGGER ut_test_refuse ON ut.event_identifiers');
      expect(await replayDlq(pool, kafka, { ids: [failed.dlq_id] }, { replayedBy: 'fused test' })).toBe(1);
      const landed = await waitFor(
        'the replayed record landed',
        async () => {
          const rows = await pool.query<{ lineage: string }>(
            'SELECT lineage FROM ut.events WHERE event_id = $1',
            [eventId],
          );
          return rows.rowCount !== 0 && rows.rows;
        },
        { timeoutMs: 120_000 },
      );
      const replay = await pool.query<{ target_partition: number; target_offset: string }>(
        'SELECT target_partition, target_offset FROM ut.dlq_replays WHERE dlq_id = $1',
        [failed.dlq_id],
      );
      const { target_partition: partition, target_offset: offset } = replay.rows[0]!;
      expect(landed.map((r) => r.lineage)).toEqual([`${record!.topic}/${partition}/${offset}`]);
    } finally {
      await pool.query('DROP TRIGGER IF EXISTS ut_test_refuse ON ut.event_identifiers');
      await pool.query('DROP FUNCTION IF EXISTS public.ut_test_refuse_identifier()');
    }
  });
  it('lets the cases stage beside it hear the journey: a mislabeled pallet opens its case', async () => {
    const [pallet, a, b, c] = [randomSscc(), randomSscc(), randomSscc(), randomSscc()];
    const t0 = Date.now() - 3600_000;
    const packed = wms('PALLETIZE', t0, {
      container: `(00)${pallet}`,
      items: [`(00)${a}`, `(00)${b}`],
      warehouseGln: world.plantGln,
    });
    await produceRecords(kafka, codec, [packed]);
    await waitFor(
      'the palletising to land',
      async () =>
        ((await pool.query('SELECT 1 FROM ut.events WHERE event_id = $1', [eventIdOf(packed)])).rowCount ??
          0) > 0,
      { timeoutMs: 120_000 },
    );
    // Received with b missing and c that was never packed: only the journey can tell.
    await produceRecords(kafka, codec, [
      wms('RECEIVE', t0 + 600_000, { container: `(00)${pallet}`, items: [`(00)${a}`, `(00)${c}`] }),
    ]);
    const incident = `mislabeled:${toDigitalLink(`(00)${pallet}`)}`;
    const opened = await waitFor(
      'the MISLABELED_PALLET case',
      async () =>
        (
          await pool.query<{ case_id: string; kind: string }>(
            'SELECT case_id, kind FROM ut.cases WHERE incident_key = $1',
            [incident],
          )
        ).rows[0],
      { timeoutMs: 120_000 },
    );
    expect(opened).toEqual({ case_id: caseIdOf(incident), kind: 'MISLABELED_PALLET' });
  });

  it('resolves a MISSING_SKU case when its record, replayed after the master data load, lands', async () => {
    const d = `040123458${crypto.randomInt(1000, 9999)}`;
    const gtin = d + String(gs1CheckDigit(d));
    const record = wms('PICK', Date.now() - 600_000, { items: [`(01)${gtin}(21)${tag}M1`] });
    const incident = `missing_sku:${eventIdOf(record)}`;
    await produceRecords(kafka, codec, [record]);
    const caseOf = async () =>
      (
        await pool.query<{ case_id: string; kind: string; status: string; source_ref: string }>(
          'SELECT case_id, kind, status, source_ref FROM ut.cases WHERE incident_key = $1',
          [incident],
        )
      ).rows[0];
    const opened = await waitFor('the MISSING_SKU case', caseOf, { timeoutMs: 120_000 });
    expect(opened).toMatchObject({ case_id: caseIdOf(incident), kind: 'MISSING_SKU', status: 'open' });
    await waitFor(
      'the refused record in ut.dlq',
      async () =>
        ((await pool.query('SELECT 1 FROM ut.dlq WHERE dlq_id = $1', [opened.source_ref])).rowCount ?? 0) > 0,
      { timeoutMs: 120_000 },
    );
    await loadMasterdata(pool, kafka, codec, [
      {
        kind: 'product',
        id: gtin,
        name: 'Late product',
        attributes: {},
        deleted: false,
        updatedAt: Date.now(),
      },
    ]);
    // The validator follows master data from its compacted topic: replay until the record passes
    // (a replay that came too early fails again and joins the same case). Only the journey's digest
    // tells the cases stage it landed: no journey record goes to Kafka in the fused deployment.
    const resolved = await waitFor(
      'the case resolved by the replay',
      async () => {
        await replayDlq(pool, kafka, { ids: [opened.source_ref] }, { replayedBy: 'fused test' });
        const c = await caseOf();
        return c?.status === 'resolved' && c;
      },
      { everyMs: 8000, timeoutMs: 180_000 },
    );
    expect(resolved).toMatchObject({ case_id: opened.case_id, status: 'resolved' });
    const landed = await pool.query('SELECT 1 FROM ut.events WHERE event_id = $1', [eventIdOf(record)]);
    expect(landed.rowCount).toBe(1);
  });
});
