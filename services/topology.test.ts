import fs from 'node:fs';
import path from 'node:path';
import { describeTopology, formatTopology } from '../libs/runtime';
import { allTopics } from '../libs/topics';
import { topics } from '../libs/topics';
import { fusedPipeline, fusedTaps, journeyTap, outsideProducers, stages } from './stages';

const topology = describeTopology(stages, { outsideProducers });

describe('the topology', () => {
  it('is described from the declarations alone: every topic is produced by someone, every stage input exists', () => {
    const names = new Set(allTopics.map((t) => t.name));
    for (const s of topology.stages)
      for (const t of [...s.inputs, ...s.outputs, ...s.follows]) expect(names).toContain(t);
    for (const t of topology.topics) expect([t.name, t.producers.length > 0]).toEqual([t.name, true]);
    expect(new Set(topology.stages.map((s) => s.group)).size).toBe(topology.stages.length);
  });

  it('is what the README\'s "What runs where" diagram names: every stage and every topic', () => {
    const readme = fs.readFileSync(path.join(__dirname, '../README.md'), 'utf8');
    const diagram = /## What runs where\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const named = (word: string) =>
      new RegExp(`(^|[\\s(·])${word.replace(/\./g, '\\.')}($|[\\s),;·])`, 'm').test(diagram);
    const missing = [...topology.stages.map((s) => s.name), ...topology.topics.map((t) => t.name)].filter(
      (n) => !named(n),
    );
    expect(missing).toEqual([]);
  });

  it('is what docs/architecture.md prints: every stage and every topic', () => {
    const page = fs.readFileSync(path.join(__dirname, '../docs/architecture.md'), 'utf8');
    const printed = /## The topology[^\n]*\n[\s\S]*?```\n([\s\S]*?)```/.exec(page)?.[1] ?? '';
    const missing = [
      ...topology.stages.map((s) => `${s.name} (${s.group})`),
      ...topology.topics.map((t) => ` ${t.name} `),
    ].filter((n) => !printed.includes(n));
    expect(missing).toEqual([]);
  });

  it('prints each topic with who writes and reads it, and each stage with its group', () => {
    const text = formatTopology(topology);
    expect(text).toMatch(/ut\.events\.validated\.v1 +\(3\) +validator → deduplicator/);
    expect(text).toContain('journey-sink-surge (ut.journey-sink-surge)');
    expect(text).toMatch(/ut\.masterdata\.v1 .*→ validator \(follows\), enricher \(follows\)/);
  });
});

describe('floor signals in both deployments', () => {
  it('are written by the validator and, fused, go to Kafka: no fused stage consumes ut.signals.v1', () => {
    const validator = topology.stages.find((s) => s.name === 'validator')!;
    expect(validator.outputs).toContain(topics.signals.name);
    expect(fusedPipeline.stages.filter((s) => s.inputs.includes(topics.signals.name))).toEqual([]);
    expect(fusedPipeline.stages.map((s) => s.name)).toContain('validator');
  });
});

describe('the fused process and the stages beside it', () => {
  it('publishes, through a tap, every topic it passes in memory that a stage beside it reads', () => {
    const inMemory = new Set(fusedPipeline.stages.slice(1).flatMap((s) => s.inputs));
    const tapped = new Set(fusedTaps.map((t) => t.topic));
    const beside = stages.filter((s) => (fusedPipeline.alongside as readonly string[]).includes(s.name));
    expect(beside.map((s) => s.name).sort()).toEqual([...fusedPipeline.alongside].sort());
    const unheard = beside.flatMap((s) =>
      s.inputs.filter((t) => inMemory.has(t) && !tapped.has(t)).map((t) => `${s.name} reads ${t}`),
    );
    expect(unheard).toEqual([]);
    // What the taps cover today: device-health's validated events, the cases stage's journey.
    expect([...tapped].sort()).toEqual([topics.validated.name, topics.journey.name].sort());
  });

  it("publishes the journey's digest for the cases stage, one record per raw partition, with its last record", () => {
    const event = (n: number) => ({ eventId: `e${n}`, eventTime: n, eventType: 'ObjectEvent', epcList: [] });
    const origin = (partition: number) => ({ topic: topics.rawWms.name, partition, offset: '7' });
    const records = [0, 1, 0].map((partition, n) => ({
      origin: origin(partition),
      record: { topic: topics.journey.name, key: null, headers: {}, value: event(n) },
    })) as unknown as Parameters<typeof journeyTap.publish>[0];
    const out = journeyTap.publish(records);
    expect(out).toEqual([
      {
        origin: records[2]!.origin,
        output: {
          kind: 'produce',
          topic: topics.journeyDigest.name,
          key: 'ut.raw.wms.v1:0',
          value: { stream: 'ut.raw.wms.v1:0', landed: ['e0', 'e2'], events: [] },
        },
      },
      {
        origin: records[1]!.origin,
        output: {
          kind: 'produce',
          topic: topics.journeyDigest.name,
          key: 'ut.raw.wms.v1:1',
          value: { stream: 'ut.raw.wms.v1:1', landed: ['e1'], events: [] },
        },
      },
    ]);
  });
});
