/**
 * What `unitrail run NAME` and `unitrail scale NAME` can start, each loaded only when it starts: a
 * surge sink that a recall scales out loads the sink's code, not the other stages', the console's or
 * the APIs' (about 0.2 s of CPU less a process on this box class, docs/capacity.md). The stages
 * themselves are declared once, in services/stages.ts; services/runnable.test.ts checks that every
 * one of them is here, as the same declaration.
 */
import type { Config } from '../libs/config';
import { openStage, type Stage, type StageDefinition } from '../libs/runtime';

/** A consumer process (a stage, or the fused pipeline), or an HTTP service. */
export type Runnable =
  | {
      kind: 'consumer';
      /** The stage whose inputs its group reads (the fused pipeline's first stage). */
      definition: StageDefinition;
      open: (config: Config) => Stage<unknown, unknown>;
    }
  | { kind: 'service'; serve: (config: Config) => Promise<void> };

const stage = (definition: StageDefinition): Runnable => ({
  kind: 'consumer',
  definition,
  open: (config) => openStage(definition, config),
});

const consumers = new Map<string, () => Promise<Runnable>>([
  ['validator', async () => stage((await import('./validator')).validator)],
  ['deduplicator', async () => stage((await import('./deduplicator')).deduplicator)],
  ['enricher', async () => stage((await import('./enricher')).enricher)],
  ['router', async () => stage((await import('./router')).router)],
  ['journey-sink', async () => stage((await import('./journey-sink')).journeySink)],
  ['journey-sink-surge', async () => stage((await import('./journey-sink')).journeySinkSurge)],
  ['dlq-sink', async () => stage((await import('./dlq-sink')).dlqSink)],
  ['cases', async () => stage((await import('./cases')).cases)],
  ['device-health', async () => stage((await import('./device-health')).deviceHealth)],
  [
    'pipeline',
    async () => {
      const { fusedPipeline, openPipeline } = await import('./stages');
      return { kind: 'consumer', definition: fusedPipeline.stages[0], open: openPipeline };
    },
  ],
]);

const services = new Map<string, () => Promise<Runnable>>([
  ['capture-api', async () => ({ kind: 'service', serve: (await import('./capture-api')).runCaptureApi })],
  ['ops-api', async () => ({ kind: 'service', serve: (await import('./ops-api')).runOpsApi })],
  [
    'console',
    async () => {
      const [{ runConsole }, { stageGroups }] = await Promise.all([import('./console'), import('./stages')]);
      return { kind: 'service', serve: (config: Config) => runConsole(config, stageGroups) };
    },
  ],
]);

/** The names of the consumer processes (`unitrail scale` takes these): the stages and the fused pipeline. */
export const consumerNames: readonly string[] = [...consumers.keys()];

/** The names of the HTTP services. */
export const serviceNames: readonly string[] = [...services.keys()];

/** Every name `run` takes: the stages, the fused pipeline, the HTTP services. */
export const runnableNames: readonly string[] = [...consumerNames, ...serviceNames];

/** The runnable of this name, its code loaded now; undefined for an unknown name. */
export async function loadRunnable(name: string): Promise<Runnable | undefined> {
  const load = consumers.get(name) ?? services.get(name);
  return load ? load() : undefined;
}
