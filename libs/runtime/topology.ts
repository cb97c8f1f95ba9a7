/**
 * The topology described apart from running it (Kafka Streams' Topology.describe()): topics,
 * stages, consumer groups, who produces and who consumes, from the stages' static declarations.
 */
import { allTopics, topics as registry, type TopicSpec } from '../topics';
import { groupOf, type StageDefinition } from './stage-definition';

export interface Topology {
  topics: {
    name: string;
    partitions: number;
    doc: string;
    producers: string[];
    consumers: string[];
  }[];
  stages: {
    name: string;
    group: string;
    summary: string;
    inputs: string[];
    /** Declared outputs plus the DLQ, which every stage may write. */
    outputs: string[];
    follows: string[];
    stores: string | null;
  }[];
}

export function describeTopology(
  stages: readonly StageDefinition[],
  {
    topics = allTopics,
    outsideProducers = {},
    dlq = registry.dlq.name,
  }: { topics?: TopicSpec[]; outsideProducers?: Record<string, string[]>; dlq?: string } = {},
): Topology {
  const described = stages.map((s) => ({
    name: s.name,
    group: groupOf(s),
    summary: s.summary,
    inputs: [...s.inputs],
    outputs: [...s.outputs, ...(s.inputs.includes(dlq) ? [] : [dlq])],
    follows: [...(s.follows ?? [])],
    stores: s.stores ?? null,
  }));
  return {
    topics: topics.map((t) => ({
      name: t.name,
      partitions: t.partitions,
      doc: t.doc,
      producers: [
        ...(outsideProducers[t.name] ?? []),
        ...described.filter((s) => s.outputs.includes(t.name)).map((s) => s.name),
      ],
      consumers: described
        .filter((s) => s.inputs.includes(t.name) || s.follows.includes(t.name))
        .map((s) => (s.inputs.includes(t.name) ? s.name : `${s.name} (follows)`)),
    })),
    stages: described,
  };
}

/** The topology for a person: topics with who writes and reads them, then each stage. */
export function formatTopology(t: Topology): string {
  const width = Math.max(...t.topics.map((x) => x.name.length));
  const lines = ['topics (partitions): producers → consumers'];
  for (const x of t.topics) {
    lines.push(
      `  ${x.name.padEnd(width)} ${`(${x.partitions})`.padEnd(5)} ${x.producers.join(', ') || '-'} → ${x.consumers.join(', ') || '-'}`,
    );
  }
  lines.push('', 'stages (consumer group): inputs → outputs');
  for (const s of t.stages) {
    lines.push(`  ${s.name} (${s.group}): ${s.summary}`);
    lines.push(`      ${s.inputs.join(', ')} → ${s.outputs.join(', ') || '-'}`);
    if (s.follows.length) lines.push(`      follows ${s.follows.join(', ')}`);
    if (s.stores) lines.push(`      ${s.stores}`);
  }
  return lines.join('\n');
}
