/**
 * `unitrail demo`: the stack up and prepared, the demo's master data loaded, every stage started as
 * a process of its own, the demo stream produced, and every record accounted for (landed, a
 * duplicate, or in the DLQ). With `serve`, the console is started beside the stages afterwards.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import type { Config } from '../config';
import { UnitrailError } from '../errors';
import { createKafka, kafkaConnection } from '../kafka';
import { createCodec } from '../avro';
import { poolFor } from '../store';
import { seenSetPrefix } from '../seenset';
import { prepareStack, stackUp } from '../stack';
import { loadMasterdata } from '../masterdata';
import { spawnStage, stopStages } from '../supervisor';
import { createToken, revokeToken } from '../tokens';
import type pg from 'pg';
import { waitForGroups } from '../stats';
import { demoCounts, demoMasterdata, generateDemo, type DemoOptions, type DemoRecord } from './stream';
import { demoStream, type FaultReport } from './faults';
import { accountFor, produceRecords, rawEndOffsets, type Accounts } from './produce';

const say = (line: string) => process.stderr.write(`${line}\n`);

/**
 * `demo --console`: after the demo stream, keeps every stage running, starts the console beside
 * them with a fresh token, and trickles a few demo records a second so the page moves, until Ctrl-C.
 */
async function serveConsole({
  config,
  pool,
  kafka,
  logDir,
  children,
  args,
  tricklePerSecond = 5,
  print,
}: {
  config: Config;
  pool: ReturnType<typeof poolFor>;
  kafka: ReturnType<typeof createKafka>;
  logDir: string;
  children: ChildProcess[];
  args: DemoOptions;
  print: (line: string) => void;
  tricklePerSecond?: number;
}): Promise<void> {
  const name = `console-demo-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`;
  const { token } = await createToken(pool, { name, role: 'recall_coordinator' });
  children.push(spawnStage('console', logDir));
  const url = `http://127.0.0.1:${config.consolePort}/`;
  for (let i = 0; ; i++) {
    const up = await fetch(new URL('healthz', url)).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 60)
      throw new UnitrailError(
        'STAGE_EXITED',
        `the console did not answer on ${url}; see ${logDir}/console.log`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
  print(`console: ${url}`);
  print(`token:   ${token}   (role recall_coordinator; paste it into the page)`);
  say(`demo: the pipeline keeps running with ${tricklePerSecond} demo records a second; Ctrl-C stops it all`);
  const codec = createCodec({ url: config.schemaRegistryUrl });
  let stop = false;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = () => {
      stop = true;
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  while (!stop) {
    const records = generateDemo({
      ...args,
      events: tricklePerSecond,
      seed: 1 + Math.floor(Math.random() * (2 ** 31 - 2)),
    });
    await produceRecords(kafka, codec, records).catch((err) =>
      say(`demo: trickle failed: ${(err as Error).message}`),
    );
    await Promise.race([stopped, new Promise((r) => setTimeout(r, 1000))]);
  }
  await revokeToken(pool, name).catch(() => {});
}

/** Runs the demo; `print` gets the result line (JSON) and, with `serve`, the console's address. Returns true when the accounts balance. */
export async function runDemo({
  config,
  args,
  stages,
  stallMs = 120_000,
  serve = false,
  groups = {},
  detection,
  print = (line: string) => console.log(line),
}: {
  config: Config;
  args: Required<DemoOptions> & { faults?: string };
  /** The stages' consumer groups and their topics: with faults, the demo waits until all caught up. */
  groups?: Record<string, string[]>;
  /** With faults: how soon each injected fault was flagged (libs/devices figuresFromStore). */
  detection?: (pool: pg.Pool, records: DemoRecord[], faults: FaultReport, since: Date) => Promise<unknown>;
  /** Every stage of the split deployment (services/stages.ts). */
  stages: readonly string[];
  /** Give up when nothing more is accounted for in this long. */
  stallMs?: number;
  serve?: boolean;
  print?: (line: string) => void;
}): Promise<boolean> {
  const t0 = Date.now();
  await stackUp({});
  await prepareStack(config);
  const kafka = createKafka({ ...kafkaConnection(config) });
  const logDir = path.join(config.stateDir, 'logs');
  say(`demo: seed ${args.seed}, ${args.events} records; stage logs in ${logDir}`);
  const pool = poolFor(config, { max: 2 });
  // The demo's products, sites and devices, before any stage starts: the validator checks them.
  await loadMasterdata(pool, kafka, createCodec({ url: config.schemaRegistryUrl }), demoMasterdata());
  const children = stages.map((s) => spawnStage(s, logDir));
  const redis = new Redis(config.redisUrl, { lazyConnect: false });
  try {
    const prefix = await seenSetPrefix(kafka);
    const { records, faults } = demoStream(args);
    const expected = demoCounts(records);
    // REPORT records carry only an exception report: they become floor signals, never events.
    const reports = expected.reports ?? 0;
    const before = await rawEndOffsets(kafka);
    const tProduce = Date.now();
    await produceRecords(kafka, createCodec({ url: config.schemaRegistryUrl }), records);
    const after = await rawEndOffsets(kafka);
    let accounts: Accounts = { produced: records.length, landed: 0, duplicates: 0, dlq: 0 };
    let lastDone = -1;
    let lastChange = Date.now();
    for (;;) {
      for (const c of children) {
        if (c.exitCode !== null && c.exitCode !== 0)
          throw new UnitrailError('STAGE_EXITED', `a stage exited with code ${c.exitCode}; see ${logDir}`);
      }
      accounts = await accountFor(pool, redis, before, after, prefix, new Date(tProduce - 1000));
      const done = accounts.landed + accounts.duplicates + accounts.dlq + reports;
      say(
        `demo: ${done}/${accounts.produced} accounted for (landed ${accounts.landed}, duplicates ${accounts.duplicates}, dlq ${accounts.dlq}), ${((Date.now() - tProduce) / 1000).toFixed(0)} s`,
      );
      if (done >= accounts.produced) break;
      if (done !== lastDone) {
        lastDone = done;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > stallMs) {
        break;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    const seconds = Number(((Date.now() - tProduce) / 1000).toFixed(1));
    const balanced = accounts.landed + accounts.duplicates + accounts.dlq + reports === accounts.produced;
    // With the floor, every stage group (device-health too) catches up before the figures are read.
    const caughtUp = faults ? await waitForGroups(kafka, groups, { stallMs, say }) : null;
    const detected =
      faults && detection ? await detection(pool, records, faults, new Date(tProduce - 1000)) : null;
    print(
      JSON.stringify({
        ...accounts,
        ...(reports > 0 ? { reports } : {}),
        seconds,
        balanced,
        seed: args.seed,
        expected,
        total_seconds: Number(((Date.now() - t0) / 1000).toFixed(1)),
        ...(faults ? { faults, caught_up: caughtUp!.caughtUp, detection: detected } : {}),
      }),
    );
    if (!balanced) say(`demo: accounts do not balance; stage logs in ${logDir}`);
    if (serve) await serveConsole({ config, pool, kafka, logDir, children, args, print });
    return balanced;
  } finally {
    await stopStages(children);
    await pool.end();
    redis.disconnect();
  }
}
