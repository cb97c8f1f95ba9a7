/**
 * Surge partitions on the real stack:
 * - `surge expand` while the surge sink runs: keys move to the new partitions, and every event
 *   still lands exactly once, with each unit's state at its newest event whatever order the
 *   partitions delivered them in;
 * - `unitrail scale journey-sink-surge --consumers N`: N members share the partitions, a killed
 *   one is restarted, SIGTERM stops them all and the group empties.
 */
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import type pg from 'pg';
import type { Kafka } from 'kafkajs';
import { config, freshDatabase, randomSeed, waitFor } from './helpers';
import { createKafka, withAdmin } from '../libs/kafka';
import { createCodec } from '../libs/avro';
import { generateDemo } from '../libs/demo';
import { normalize } from '../libs/sources';
import { surgeKey, type SerializationEvent } from '../libs/events';
import { runStage, type RunningStage } from '../libs/runtime';
import { topics } from '../libs/topics';
import { journeySinkStage } from '../services/journey-sink';
import { expandPartitions, groupStatus } from '../libs/kafka';
import { cliEntry } from '../libs/supervisor';
import { processAlive } from '../libs/stack';

jest.setTimeout(300_000);

const surgeTopic = topics.journeySurge.name;
/** What the test grows the shared stack's surge topic to (Kafka never shrinks it back). */
const EXPANDED = 16;
const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'unitrail-surge-test' });
const codec = createCodec({ url: config.schemaRegistryUrl });

async function partitionCount(k: Kafka): Promise<number> {
  return withAdmin(k, async (admin) => {
    const meta = await admin.fetchTopicMetadata({ topics: [surgeTopic] });
    return meta.topics[0]!.partitions.length;
  });
}

/** Sends events to the surge topic as the router does (key: surgeKey, recall header); returns the partitions used. */
async function produceSurge(events: { key: string; event: SerializationEvent }[]): Promise<Set<number>> {
  // A new producer each time: it reads the partition count afresh, so keys go where they now belong.
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const messages = [];
    for (const { key, event } of events) {
      messages.push({
        key,
        value: await codec.encode(surgeTopic, event),
        headers: { 'ut-recall-id': 'R-SURGE-TEST' },
      });
    }
    const acks = await producer.send({ topic: surgeTopic, acks: -1, messages });
    return new Set(acks.map((a) => a.partition));
  } finally {
    await producer.disconnect();
  }
}

async function committed(groupId: string): Promise<Map<number, number>> {
  return withAdmin(kafka, async (admin) => {
    const [t] = await admin.fetchOffsets({ groupId, topics: [surgeTopic] });
    return new Map(t!.partitions.map((p) => [p.partition, Number(p.offset)]));
  });
}

describe('surge expand while the surge sink runs', () => {
  let db: { url: string; pool: pg.Pool; drop: () => Promise<void> };
  const sinks: RunningStage[] = [];
  // A group of its own: another run's surge sink must not take our records, nor ours theirs.
  const groupId = `ut.journey-sink-surge.test-${crypto.randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    db = await freshDatabase('surge');
  });
  afterAll(async () => {
    await Promise.all(sinks.map((s) => s.stop()));
    await db.drop();
  });

  it('lands every event exactly once, each unit at its newest event, as keys move to new partitions', async () => {
    // Start at the topic's end: what is on it already belongs to other runs.
    await withAdmin(kafka, async (admin) => {
      const ends = await admin.fetchTopicOffsets(surgeTopic);
      await admin.setOffsets({
        groupId,
        topic: surgeTopic,
        partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
      });
    });
    const sinkConfig = { ...config, databaseUrl: db.url };
    for (let i = 0; i < 2; i++) {
      sinks.push(
        await runStage(journeySinkStage(sinkConfig, { surge: true }), { config: sinkConfig, groupId }),
      );
    }

    const records = generateDemo({ events: 1300, seed: randomSeed() }); // 100 pallets
    const all = records.map((r, offset) => {
      // a lineage no raw topic has, so no account of a pipeline run can mistake these for its own
      const event = normalize(r.topic, r.value, { topic: 'surge-test', partition: 0, offset, schemaId: 0 });
      return { key: surgeKey(event), event };
    });
    // Late events (palletize, ship, depart, arrive, receive) before the expansion, with half of
    // the early ones (commission, pack); the other half after it, so a case's pack lands after its
    // palletize, from another partition.
    const early = all.filter((x) => x.event.sourceSystem === 'MES');
    const late = all.filter((x) => x.event.sourceSystem !== 'MES');
    const firstWave = [...late, ...early.slice(0, early.length / 2)];
    const secondWave = early.slice(early.length / 2);
    const landed = async (n: number) => {
      const r = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM ut.events');
      return Number(r.rows[0]!.n) >= n;
    };

    await produceSurge(firstWave);
    await waitFor('the first wave to land', () => landed(firstWave.length));

    const before = await partitionCount(kafka);
    const grown = await expandPartitions(kafka, { partitions: Math.max(before, EXPANDED), groupId });
    expect(grown.to).toBeGreaterThanOrEqual(EXPANDED);
    const after = await partitionCount(kafka);
    expect(after).toBe(grown.to);

    // The second wave, and the whole first wave again: its keys now hash over more partitions.
    const used = await produceSurge([...secondWave, ...firstWave]);
    expect([...used].some((p) => p >= topics.journeySurge.partitions)).toBe(true);
    await waitFor('the second wave to land', () => landed(all.length));
    // The running sinks were handed the new partitions and committed past what was sent to them.
    await waitFor('the group to commit on the new partitions', async () => {
      const at = await committed(groupId);
      return [...used].filter((p) => p >= topics.journeySurge.partitions).every((p) => (at.get(p) ?? -1) > 0);
    });

    const counts = await db.pool.query<{ event_id: string; n: string }>(
      'SELECT event_id, count(*) AS n FROM ut.events GROUP BY event_id',
    );
    expect(counts.rows.filter((r) => r.n !== '1')).toEqual([]);
    expect(counts.rows.map((r) => r.event_id).sort()).toEqual(all.map((x) => x.event.eventId).sort());

    // Order tolerance: every unit, case and pallet is at its newest event.
    const stale = await db.pool.query(
      `SELECT s.uri FROM ut.unit_state s
        WHERE s.last_event_time <> (SELECT max(i.event_time) FROM ut.event_identifiers i WHERE i.uri = s.uri)`,
    );
    expect(stale.rows).toEqual([]);
    const states = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM ut.unit_state');
    expect(Number(states.rows[0]!.n)).toBeGreaterThan(0);
  });

  it('refuses to shrink the surge topic', async () => {
    await expect(expandPartitions(kafka, { partitions: 1, groupId })).rejects.toThrow(
      /cannot remove partitions; --partitions must be at least/,
    );
  });
});

describe('unitrail scale', () => {
  const stage = 'journey-sink-surge';
  const group = `ut.${stage}`;
  let db: { url: string; pool: pg.Pool; drop: () => Promise<void> };

  beforeAll(async () => {
    db = await freshDatabase('scale');
    // Another run's surge sink in the group would make the member counts below someone else's.
    await waitFor(
      `${group} to be free of another run (stop its stages first)`,
      async () => (await groupStatus(kafka, group, [surgeTopic])).members === 0,
      { timeoutMs: 180_000, everyMs: 2000 },
    );
  });
  afterAll(async () => {
    await db.drop();
  });

  const memberIds = async (groupId: string) =>
    withAdmin(kafka, async (admin) =>
      ((await admin.describeGroups([groupId])).groups[0]?.members ?? []).map((m) => m.memberId),
    );

  it('keeps N consumers in the group, restarts a killed one, and stops them all on SIGTERM', async () => {
    const supervisor = spawn(
      process.execPath,
      [cliEntry(), 'scale', stage, '--consumers', '3', '--every', '1'],
      {
        env: { ...process.env, DATABASE_URL: db.url },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let log = '';
    supervisor.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((r) => supervisor.once('exit', (code) => r(code)));
    try {
      const pids = (
        await waitFor(
          'the supervisor to start its consumers',
          async () => /\(pids ([\d, ]+)\)/.exec(log)?.[1],
        )
      )
        .split(', ')
        .map(Number);
      expect(pids).toHaveLength(3);
      const status = await waitFor('3 members sharing the partitions', async () => {
        const s = await groupStatus(kafka, group, [surgeTopic]);
        return s.members === 3 && s.assigned.every((n) => n > 0) && s;
      });
      expect(status.assigned.reduce((a, b) => a + b, 0)).toBe(status.partitions);

      const membersBefore = await memberIds(group);
      process.kill(pids[1]!, 'SIGKILL');
      const restartedPid = Number(
        await waitFor(
          'the supervisor to restart the killed consumer',
          async () => /ended \(SIGKILL\); restarting[\s\S]*restarted \(pid (\d+)\)/.exec(log)?.[1],
        ),
      );
      expect(processAlive(restartedPid)).toBe(true);
      // The killed member leaves the group (session time-out), the restarted one joins it.
      await waitFor('3 members again, one of them new', async () => {
        const now = await memberIds(group);
        const s = await groupStatus(kafka, group, [surgeTopic]);
        return (
          now.length === 3 &&
          now.filter((m) => !membersBefore.includes(m)).length === 1 &&
          s.assigned.every((n) => n > 0)
        );
      });

      // They consume: whatever the group had not taken yet (this file's first test left some) is taken.
      await waitFor(
        'the group to have no lag',
        async () => (await groupStatus(kafka, group, [surgeTopic])).lag === 0,
      );

      supervisor.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect([...pids, restartedPid].filter(processAlive)).toEqual([]);
      expect((await groupStatus(kafka, group, [surgeTopic])).members).toBe(0);
      expect(log).toMatch(/scale: stopped/);
    } finally {
      if (supervisor.exitCode === null) supervisor.kill('SIGKILL');
    }
  });
});
