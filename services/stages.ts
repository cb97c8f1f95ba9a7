/** Every stage by name: what `unitrail run STAGE`, the demo and the containers start. */
import type { Config } from '../libs/config';
import type { Stage } from '../libs/runtime';
import { validatorStage } from './validator';
import { deduplicatorStage } from './deduplicator';
import { enricherStage } from './enricher';
import { routerStage } from './router';
import { journeySinkStage } from './journey-sink';
import { dlqSinkStage } from './dlq-sink';
import { runCaptureApi } from './capture-api';
import { runOpsApi } from './ops-api';
import { runConsole } from './console';

// The handlers' input types differ; the runtime only needs the common shape.
type AnyStage = Stage<never, never>;

export const stageFactories: Record<string, (config: Config) => AnyStage> = {
  validator: (c) => validatorStage(c) as unknown as AnyStage,
  deduplicator: (c) => deduplicatorStage(c) as unknown as AnyStage,
  enricher: (c) => enricherStage(c) as unknown as AnyStage,
  router: (c) => routerStage(c) as unknown as AnyStage,
  'journey-sink': (c) => journeySinkStage(c) as unknown as AnyStage,
  'journey-sink-surge': (c) => journeySinkStage(c, { surge: true }) as unknown as AnyStage,
  'dlq-sink': (c) => dlqSinkStage(c) as unknown as AnyStage,
};

export const stageNames = Object.keys(stageFactories);

/** HTTP services: `unitrail run NAME` serves until SIGTERM. */
export const httpServices: Record<string, (config: Config) => Promise<void>> = {
  'capture-api': runCaptureApi,
  'ops-api': runOpsApi,
  console: runConsole,
};

export const runnableNames = [...stageNames, ...Object.keys(httpServices)];
