/** Shared by the integration tests: the real local stack, a fresh database, stage processes. */
import crypto from 'node:crypto';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { loadConfig, type Config } from '../libs/config';
import { scratchDatabase } from '../libs/store';
import { spawnStage, stopStages } from '../libs/supervisor';
import { stageNames } from '../services/stages';
import { createKafka, withAdmin } from '../libs/kafka';
import { seenSetPrefix } from '../libs/seenset';
import { generateFloorDemo, parseFaults, world, type DemoRecord } from '../libs/demo';
import { gs1CheckDigit } from '../libs/gs1';
import type { WmsMovement } from '../libs/sources';
import { topics } from '../libs/topics';
import { detectionFigures, listAlerts } from '../libs/devices';
import type pg from 'pg';

export const config: Config = loadConfig();
export const logDir = path.join(config.stateDir, 'logs', 'test');

/** A database of its own for a test file (migrated), dropped by `drop()`. */
export function freshDatabase(tag: string): ReturnType<typeof scratchDatabase> {
  return scratchDatabase(config.databaseUrl, `unitrail_it_${tag}_${crypto.randomBytes(3).toString('hex')}`);
}

export function redis(): Redis {
  return new Redis(config.redisUrl);
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  { timeoutMs = 120_000, everyMs = 500 } = {},
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export class Stages {
  readonly children = new Map<string, ChildProcess>();
  constructor(private env: NodeJS.ProcessEnv = {}) {}
  start(...names: string[]): void {
    for (const n of names) this.children.set(n, spawnStage(n, logDir, this.env));
  }
  /** Sends a signal and waits for the process to exit; returns its exit code (null if killed). */
  async signal(name: string, signal: NodeJS.Signals): Promise<number | null> {
    const c = this.children.get(name)!;
    const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
    c.kill(signal);
    const code = await exited;
    this.children.delete(name);
    return code;
  }
  /** Freezes (SIGSTOP) or thaws (SIGCONT) every stage: a disturbance can then land at a known point. */
  freeze(frozen: boolean): void {
    for (const c of this.children.values()) c.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
  }
  async stopAll(): Promise<void> {
    this.freeze(false);
    await stopStages([...this.children.values()]);
    this.children.clear();
  }
}

export const randomSeed = () => crypto.randomInt(1, 2 ** 31 - 1);

/** The seen-set key prefix of the stack's Kafka cluster (where the deduplicator's marks are). */
export const seenPrefix = () => seenSetPrefix(createKafka({ brokers: config.kafkaBrokers }));

/**
 * Waits until no other run's stages are members of the pipeline's consumer groups (a second suite
 * or a demo on the same stack would take this run's records).
 */
export async function pipelineGroupsFree(): Promise<void> {
  const groups = stageNames.map((s) => `ut.${s}`);
  const kafka = createKafka({ brokers: config.kafkaBrokers });
  await waitFor(
    'the pipeline consumer groups to be free of another run (stop its stages first)',
    async () => {
      const described = await withAdmin(kafka, (admin) => admin.describeGroups(groups));
      return described.groups.every((g) => g.members.length === 0);
    },
    { timeoutMs: 180_000, everyMs: 2000 },
  );
}

/** The demo's default device faults, as [device, kind, metric] of the episode each must raise (sorted). */
export const defaultFaultEpisodes = [
  ['line-1-printer', 'device_degrading', 'print_grade'],
  ['wms-scanner-9', 'device_degrading', 'no_read_rate'],
  ['truck-42', 'device_drifting', 'clock_drift'],
].sort();

/**
 * The alerts device-health stored, with the detection figures of a floor demo's faults (missed,
 * false alarms, delays in records) and each episode as [device, kind, metric] (`kinds`, sorted).
 */
export async function storedDetection(
  pool: pg.Pool,
  records: Parameters<typeof detectionFigures>[0],
  report: Parameters<typeof detectionFigures>[1],
) {
  const stored = await listAlerts(pool);
  const figures = detectionFigures(
    records,
    report,
    stored.map((a) => ({
      kind: a.kind,
      device: a.device,
      metric: a.metric as never,
      atRecord: a.atRecord,
      readTo: a.readTo,
    })),
  );
  return { stored, figures, kinds: stored.map((a) => [a.device, a.kind, a.metric]).sort() };
}

/**
 * The device-health stack tests' floor: 10,000 records of the demo (3% duplicates, 1% invalid)
 * with a printer whose grades fall, a scanner losing reads, a truck's clock drifting 60 s/h (each
 * from a point of the stream) and two damaged labels.
 */
export const floorFaultDemo = (seed: number) =>
  generateFloorDemo(
    { events: 10_000, seed, dupRate: 0.03, invalidRate: 0.01 },
    parseFaults(
      'printer_grade:line-1-printer@0.35,scanner_noread:wms-scanner-9@0.45,clock_drift:truck-42:60@0.5,damaged_label:2',
    ),
  );

/** A random SSCC (18 digits with its check digit) of the demo's company prefix. */
export function randomSscc(): string {
  const digits = `3401234${String(crypto.randomInt(1e9, 1e10 - 1))}`;
  return digits + String(gs1CheckDigit(digits));
}

/**
 * A WMS movement as the demo's warehouse sends it (scanner, clerk, the DC's GLN unless `extra` says
 * otherwise), its id `<idPrefix>-<n>` with n counting up in this test file.
 */
export function wmsRecord(
  idPrefix: string,
  movementType: WmsMovement['movementType'],
  at: number,
  extra: Partial<WmsMovement>,
): DemoRecord {
  return {
    topic: topics.rawWms.name,
    key: `k-${idPrefix}`,
    kind: 'valid',
    value: {
      movementId: `${idPrefix}-${++wmsMovements}`,
      occurredAt: new Date(at).toISOString().replace('Z', '+00:00'),
      warehouseGln: world.dcGln,
      scannerId: world.devices[2]!,
      userId: 'clerk-1',
      movementType,
      container: null,
      items: [],
      orderRef: null,
      destinationGln: null,
      ...extra,
    },
  };
}
let wmsMovements = 0;
