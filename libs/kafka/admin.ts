/**
 * Kafka administration: the idempotent topic set-up from the topic registry, a consumer group's
 * lag and members, and growing a topic's partitions while its consumers run.
 */
import { AssignerProtocol, type Kafka } from 'kafkajs';
import { allTopics, topics, type TopicSpec } from '../topics';
import { UsageError } from '../errors';
import { withAdmin } from './client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Creates missing topics, raises partition counts that are below the registry's (Kafka cannot lower
 * them), and leaves the rest alone. Returns what it did, one line per topic.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[] = allTopics): Promise<string[]> {
  return withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: 1,
          configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    const report = missing.map((t) => `${t.name}: created with ${t.partitions} partitions`);
    const present = specs.filter((t) => existing.has(t.name));
    if (present.length > 0) {
      const meta = await admin.fetchTopicMetadata({ topics: present.map((t) => t.name) });
      const grow: { topic: string; count: number }[] = [];
      for (const t of present) {
        const have = meta.topics.find((m) => m.name === t.name)?.partitions.length ?? 0;
        if (have < t.partitions) grow.push({ topic: t.name, count: t.partitions });
        report.push(
          `${t.name}: ${have < t.partitions ? `grown ${have} → ${t.partitions}` : `exists (${have} partitions)`}`,
        );
      }
      if (grow.length > 0) await admin.createPartitions({ topicPartitions: grow });
    }
    return report;
  });
}

/** A topic's partitions, each with an offset. */
export type PartitionOffsets = { partition: number; offset: string }[];

/**
 * Commits each group's offsets at the end of its input topics, so it starts with what is produced
 * next (a benchmark's or a test's own records), and returns them (group → topic → offsets). The
 * ends are committed as offsets, not by resetOffsets, which commits -1: a consumer takes that for
 * no offset and starts from the beginning. The groups must have no running member.
 */
export async function startGroupsAtEnd(
  kafka: Kafka,
  groups: Record<string, readonly string[]>,
): Promise<Map<string, Map<string, PartitionOffsets>>> {
  return withAdmin(kafka, async (admin) => {
    const set = new Map<string, Map<string, PartitionOffsets>>();
    for (const [groupId, inputs] of Object.entries(groups)) {
      const of = new Map<string, PartitionOffsets>();
      set.set(groupId, of);
      for (const topic of inputs) {
        const ends = await admin.fetchTopicOffsets(topic);
        const partitions = ends.map((p) => ({ partition: p.partition, offset: p.high }));
        await admin.setOffsets({ groupId, topic, partitions });
        of.set(topic, partitions);
      }
    }
    return set;
  });
}

/** Lag per consumer group: sum over partitions of (end offset − committed offset). */
export async function groupLag(kafka: Kafka, groupId: string, topicNames: string[]): Promise<number> {
  return withAdmin(kafka, async (admin) => {
    let lag = 0;
    const committed = await admin.fetchOffsets({ groupId, topics: topicNames });
    for (const t of committed) {
      const ends = await admin.fetchTopicOffsets(t.topic);
      for (const p of t.partitions) {
        const end = Number(ends.find((e) => e.partition === p.partition)?.high ?? 0);
        const at =
          Number(p.offset) < 0
            ? Number(ends.find((e) => e.partition === p.partition)?.low ?? 0)
            : Number(p.offset);
        lag += Math.max(0, end - at);
      }
    }
    return lag;
  });
}

export interface GroupStatus {
  members: number;
  /** Partitions assigned to each member, largest first. */
  assigned: number[];
  partitions: number;
  lag: number;
}

/** Members of a consumer group, the partitions each holds, and the group's lag on its topics. */
export async function groupStatus(kafka: Kafka, groupId: string, topicNames: string[]): Promise<GroupStatus> {
  const { groups, partitions } = await withAdmin(kafka, async (admin) => ({
    groups: (await admin.describeGroups([groupId])).groups,
    partitions: (await admin.fetchTopicMetadata({ topics: topicNames })).topics.reduce(
      (n, t) => n + t.partitions.length,
      0,
    ),
  }));
  const members = groups[0]?.members ?? [];
  const assigned = members
    .map((m) => {
      const decoded = m.memberAssignment.length
        ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment)
        : null;
      return Object.values(decoded?.assignment ?? {}).reduce((n, ps) => n + ps.length, 0);
    })
    .sort((a, b) => b - a);
  return { members: members.length, assigned, partitions, lag: await groupLag(kafka, groupId, topicNames) };
}

/**
 * Grows a topic to `partitions` while its consumers run. Kafka cannot remove partitions, so a
 * smaller count is refused. New partitions reach a running group at its next rebalance (kafkajs
 * otherwise notices them only at its metadata refresh, up to 5 minutes later), so when the group
 * has members this joins it for a moment: the leader re-reads the topic and spreads all partitions.
 */
export async function expandPartitions(
  kafka: Kafka,
  {
    topic = topics.journeySurge.name,
    partitions,
    groupId = 'ut.journey-sink-surge',
  }: { topic?: string; partitions: number; groupId?: string },
): Promise<{ from: number; to: number; rebalanced: boolean }> {
  const count = async () =>
    withAdmin(kafka, async (admin) => {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      return meta.topics[0]!.partitions.length;
    });
  const from = await count();
  if (partitions < from) {
    throw new UsageError(
      `${topic} has ${from} partitions and Kafka cannot remove partitions; --partitions must be at least ${from}`,
    );
  }
  if (partitions === from) return { from, to: from, rebalanced: false };
  await withAdmin(kafka, (admin) =>
    admin.createPartitions({ topicPartitions: [{ topic, count: partitions }] }),
  );
  for (let i = 0; (await count()) < partitions; i++) {
    if (i > 50) throw new Error(`${topic} does not show ${partitions} partitions after 10 s`);
    await sleep(200);
  }
  const members = await withAdmin(kafka, async (admin) => {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]?.members.length ?? 0;
  });
  if (members > 0) await nudgeGroup(kafka, groupId, topic);
  return { from, to: partitions, rebalanced: members > 0 };
}

/** Joins the group and leaves again without consuming: two rebalances, each with fresh metadata. */
async function nudgeGroup(kafka: Kafka, groupId: string, topic: string): Promise<void> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, rebalanceTimeout: 20_000 });
  await consumer.connect();
  try {
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.subscribe({ topic, fromBeginning: true });
    // Nothing is resolved or committed, so whatever it is handed is fetched again by its next owner.
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => {} });
    await Promise.race([joined, sleep(30_000)]);
  } finally {
    await consumer.disconnect();
  }
}
