/**
 * Every stage, declared once: what `unitrail run STAGE`, the demo, the containers and
 * `unitrail topology` use. Add a stage: declare it with defineStage in services/<stage>/index.ts,
 * add it to `stages` below and to services/runnable.ts (what `run` and `scale` load by name).
 */
import type { Config } from '../libs/config';
import { digestRecordsOf } from '../libs/cases';
import { clockRecordsOf } from '../libs/devices';
import { groupOf, openFused, type FusedTap, type Stage, type StageDefinition } from '../libs/runtime';
import { topics } from '../libs/topics';
import { validator } from './validator';
import { deduplicator } from './deduplicator';
import { enricher } from './enricher';
import { router } from './router';
import { journeySink, journeySinkSurge } from './journey-sink';
import { dlqSink } from './dlq-sink';
import { cases } from './cases';
import { deviceHealth } from './device-health';
import type { startCaptureApi as captureStart } from './capture-api';
import type { startConsole as consoleStart } from './console';

export const stages: readonly StageDefinition[] = [
  validator,
  deduplicator,
  enricher,
  router,
  journeySink,
  journeySinkSurge,
  dlqSink,
  cases,
  deviceHealth,
];

export const stageNames = stages.map((s) => s.name);

export function stageByName(name: string): StageDefinition | undefined {
  return stages.find((s) => s.name === name);
}

/**
 * The fused deployment (`unitrail run pipeline`, group ut.pipeline): these stages in one process
 * per set of raw partitions, records passed in memory, raw offsets committed after the sink's
 * COMMIT. The surge sink, the DLQ sink, the cases and device-health stages still run on their own (`run journey-sink-surge`,
 * `run dlq-sink`, `run cases`, `run device-health`).
 */
export const fusedPipeline = {
  name: 'pipeline',
  stages: [validator, deduplicator, enricher, router, journeySink],
  alongside: [journeySinkSurge.name, dlqSink.name, cases.name, deviceHealth.name],
} as const;

/**
 * device-health reads the validated events' clocks, and no topic carries the validated events in
 * the fused process: it publishes, per device and raw batch, just those samples on
 * ut.devices.clock.v1 (one small record instead of an encode and produce per event; docs/devices.md).
 */
export const deviceClockTap: FusedTap = {
  topic: topics.validated.name,
  publish: (records) =>
    clockRecordsOf(records, (r) => r.record).map(({ last, key, value }) => ({
      origin: last.origin,
      output: { kind: 'produce', topic: topics.deviceClock.name, key, value },
    })),
};

/**
 * cases reads the journey: a landed event resolves the MISSING_SKU case waiting for it, and a pallet
 * received with other items than were palletised into it opens a MISLABELED_PALLET case
 * (docs/exceptions.md). In the fused process the journey passes in memory, so per raw partition and
 * batch it publishes on ut.journey.digest.v1 the ids of the events that only land and what cases
 * reads of aggregations and receivings (libs/cases/digest.ts), not every journey record in full.
 */
export const journeyTap: FusedTap = {
  topic: topics.journey.name,
  publish: (records) =>
    digestRecordsOf(
      records,
      (r) => r.record,
      (r) => `${r.origin.topic}:${r.origin.partition}`,
    ).map(({ last, key, value }) => ({
      origin: last.origin,
      output: { kind: 'produce', topic: topics.journeyDigest.name, key, value },
    })),
};

/** What the fused process publishes for the consumers beside it of the topics it passes in memory. */
export const fusedTaps: readonly FusedTap[] = [deviceClockTap, journeyTap];

/** The fused pipeline opened to run (`unitrail run pipeline`, services/runnable.ts). */
export const openPipeline = (config: Config): Stage<unknown, unknown> =>
  openFused(fusedPipeline.stages, config, { name: fusedPipeline.name, taps: fusedTaps });

/** Consumer groups and their input topics, without opening anything. */
export const stageGroups: Record<string, string[]> = Object.fromEntries(
  stages.map((s) => [groupOf(s), [...s.inputs]]),
);

/** Who writes to a topic from outside the stages (for `unitrail topology`). */
export const outsideProducers: Record<string, string[]> = {
  [topics.rawMes.name]: ['MES'],
  [topics.rawWms.name]: ['WMS'],
  [topics.rawTms.name]: ['TMS'],
  [topics.rawEpcis.name]: ['capture-api'],
  [topics.masterdata.name]: ['masterdata load'],
  [topics.recalls.name]: ['recall declare', 'ops-api'],
  [topics.alerts.name]: ['recall notify'],
  // The validator writes the floor's signals (the devices branch declares it as its output).
  [topics.signals.name]: ['validator'],
  // The fused process's stand-in for the validated events device-health reads (deviceClockTap).
  [topics.deviceClock.name]: ['pipeline (fused)'],
  // The fused process's stand-in for the journey the cases stage reads (journeyTap).
  [topics.journeyDigest.name]: ['pipeline (fused)'],
  [topics.wmsDirectives.name]: ['exceptions step (containment)', 'ops-api'],
};

/** The console in a process of one's own (`unitrail bench console`), its code loaded when it starts. */
export const startConsole: typeof consoleStart = async (options) =>
  (await import('./console')).startConsole(options);
/** The capture API in the bench's process (`unitrail bench subscriptions`), loaded when it starts. */
export const startCaptureApi: typeof captureStart = async (options) =>
  (await import('./capture-api')).startCaptureApi(options);
