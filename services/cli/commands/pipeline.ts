/** Commands that set up, run and watch the pipeline. */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import type { Command, CommandInput } from '../command';
import { optString } from '../command';
import { describeSettings, loadConfig, type Config } from '../../../libs/config';
import { UsageError, UnitrailError } from '../../../libs/errors';
import { createKafka, kafkaConnection } from '../../../libs/kafka';
import { pipelineStats } from '../../../libs/stats';
import { createCodec } from '../../../libs/avro';
import { poolFor, verifyLedger } from '../../../libs/store';
import { createSeenSet, seenSetPrefix } from '../../../libs/seenset';
import { runStageUntilSignalled } from '../../../libs/runtime';
import { createTopics, migrateDatabase, prepareStack, registerSchemas, stackUp } from '../../../libs/stack';
import { demoCounts, demoMasterdata, generateDemo } from '../../../libs/demo';
import { loadMasterdata } from '../../../libs/masterdata/load';
import { accountFor, produceRecords, rawEndOffsets, type Accounts } from '../../../libs/demo/produce';
import {
  fusedFactories,
  httpServices,
  runnableNames,
  stageFactories,
  stageGroups,
  stageNames,
} from '../../stages';
import { spawnStage, stopStages } from '../../../libs/supervisor';
import { createToken, revokeToken } from '../../../libs/tokens';

const say = (line: string) => process.stderr.write(`${line}\n`);

const num = (
  input: CommandInput,
  name: string,
  fallback: number,
  { min = 0, max = Number.MAX_SAFE_INTEGER, integer = true } = {},
) => {
  const raw = optString(input, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} ${raw} must be a ${integer ? 'whole ' : ''}number from ${min} to ${max}`);
  }
  return n;
};

const demoOptions = {
  events: { type: 'string' },
  'dup-rate': { type: 'string' },
  'invalid-rate': { type: 'string' },
  seed: { type: 'string' },
} as const;

function demoArgs(input: CommandInput, defaultSeed: number) {
  return {
    events: num(input, 'events', 1000, { min: 1, max: 10_000_000 }),
    dupRate: num(input, 'dup-rate', 0, { max: 1, integer: false }),
    invalidRate: num(input, 'invalid-rate', 0, { max: 1, integer: false }),
    seed: num(input, 'seed', defaultSeed, { min: 0, max: 2 ** 31 - 1 }),
  };
}

const init: Command = {
  name: 'init',
  summary: 'Create topics, register schemas and migrate the database (idempotent; `stack up` does it too)',
  usage: '',
  async run() {
    for (const step of await prepareStack(loadConfig())) for (const line of step.lines) say(line);
    return 0;
  },
};

const topicsCreate: Command = {
  name: 'topics create',
  summary: 'Create missing topics from the topic registry (libs/topics), grow partition counts',
  usage: '',
  async run() {
    for (const line of await createTopics(loadConfig())) console.log(line);
    return 0;
  },
};

const schemasRegister: Command = {
  name: 'schemas register',
  summary: 'Register every topic schema from avro/ under <topic>-value, BACKWARD compatibility',
  usage: '',
  async run() {
    for (const [subject, id] of await registerSchemas(loadConfig())) console.log(`${subject}: ${id}`);
    return 0;
  },
};

const schemasCheck: Command = {
  name: 'schemas check',
  summary: 'Check that avro/ is BACKWARD compatible with what the registry holds (exit 1 if not)',
  usage: '',
  async run() {
    const results = await createCodec({ url: loadConfig().schemaRegistryUrl }).checkCompatibility();
    for (const r of results)
      console.log(`${r.subject}: ${r.compatible ? 'compatible' : 'NOT BACKWARD COMPATIBLE'}`);
    return results.every((r) => r.compatible) ? 0 : 1;
  },
};

const dbMigrate: Command = {
  name: 'db migrate',
  summary: 'Apply pending database migrations (libs/store/migrations)',
  usage: '',
  async run() {
    const applied = await migrateDatabase(loadConfig());
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'up to date');
    return 0;
  },
};

const run: Command = {
  name: 'run',
  summary: `Run one stage or service in the foreground until SIGTERM (${runnableNames.join(', ')})`,
  usage: 'STAGE',
  positionals: [1, 1],
  async run(input) {
    const name = input.positionals[0]!;
    const factory = stageFactories[name] ?? fusedFactories[name];
    const service = httpServices[name];
    if (!factory && !service)
      throw new UsageError(`unknown stage '${name}'; one of: ${runnableNames.join(', ')}`);
    const config = loadConfig();
    if (service) await service(config);
    else await runStageUntilSignalled(factory!(config), { config });
    return 0;
  },
};

const produceDemo: Command = {
  name: 'produce demo',
  summary: 'Publish a simulated MES/WMS/TMS stream to the raw topics; last stdout line is JSON counts',
  usage: '--events N [--dup-rate R] [--invalid-rate R] [--seed S]',
  options: demoOptions,
  async run(input) {
    const args = demoArgs(input, 1);
    const config = loadConfig();
    const records = generateDemo(args);
    await produceRecords(
      createKafka({ ...kafkaConnection(config) }),
      createCodec({ url: config.schemaRegistryUrl }),
      records,
      (n) => say(`produced ${n}/${records.length}`),
    );
    console.log(JSON.stringify({ seed: args.seed, ...demoCounts(records) }));
    return 0;
  },
};

/** Every stage of the split deployment, one process each (services/stages.ts). */
export const pipelineStages = stageNames;

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
}: {
  config: Config;
  pool: ReturnType<typeof poolFor>;
  kafka: ReturnType<typeof createKafka>;
  logDir: string;
  children: ChildProcess[];
  args: ReturnType<typeof demoArgs>;
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
  console.log(`console: ${url}`);
  console.log(`token:   ${token}   (role recall_coordinator; paste it into the page)`);
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

const demo: Command = {
  name: 'demo',
  summary: 'Stack up, start every stage, produce the demo stream, wait until every record is accounted for',
  usage: '[--events N] [--dup-rate R] [--invalid-rate R] [--seed S] [--timeout SECONDS] [--console]',
  options: { ...demoOptions, timeout: { type: 'string' }, console: { type: 'boolean' } },
  async run(input) {
    const args = demoArgs(input, Math.floor(Math.random() * 2 ** 31));
    const stallMs = num(input, 'timeout', 120, { min: 5 }) * 1000;
    const t0 = Date.now();
    await stackUp({});
    const config = loadConfig();
    await prepareStack(config);
    const kafka = createKafka({ ...kafkaConnection(config) });
    const logDir = path.join(config.stateDir, 'logs');
    say(`demo: seed ${args.seed}, ${args.events} records; stage logs in ${logDir}`);
    const pool = poolFor(config, { max: 2 });
    // The demo's products, sites and devices, before any stage starts: the validator checks them.
    await loadMasterdata(pool, kafka, createCodec({ url: config.schemaRegistryUrl }), demoMasterdata());
    const children = pipelineStages.map((s) => spawnStage(s, logDir));
    const redis = new Redis(config.redisUrl, { lazyConnect: false });
    try {
      const prefix = await seenSetPrefix(kafka);
      const records = generateDemo(args);
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
        const done = accounts.landed + accounts.duplicates + accounts.dlq;
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
      const balanced = accounts.landed + accounts.duplicates + accounts.dlq === accounts.produced;
      const expected = demoCounts(records);
      console.log(
        JSON.stringify({
          ...accounts,
          seconds,
          balanced,
          seed: args.seed,
          expected,
          total_seconds: Number(((Date.now() - t0) / 1000).toFixed(1)),
        }),
      );
      if (!balanced) say(`demo: accounts do not balance; stage logs in ${logDir}`);
      if (input.values.console === true) {
        await serveConsole({ config, pool, kafka, logDir, children, args });
      }
      return balanced ? 0 : 1;
    } finally {
      await stopStages(children);
      await pool.end();
      redis.disconnect();
    }
  },
};

const stats: Command = {
  name: 'stats',
  summary: 'Events in the ledger, units, DLQ records, duplicates dropped, lag of each consumer group',
  usage: '[--json]',
  options: { json: { type: 'boolean' } },
  async run(input) {
    const config = loadConfig();
    const pool = poolFor(config, { max: 1 });
    const kafka = createKafka({ ...kafkaConnection(config) });
    const seen = createSeenSet({ url: config.redisUrl, prefix: await seenSetPrefix(kafka) });
    try {
      const report = await pipelineStats({ pool, kafka, seen, groups: stageGroups });
      if (input.values.json === true) console.log(JSON.stringify(report));
      else {
        console.log(`events in the ledger  ${report.events}`);
        console.log(`units                 ${report.units} (containers ${report.containers})`);
        console.log(`DLQ records           ${report.dlq}`);
        console.log(`duplicates dropped    ${report.duplicates}`);
        for (const [g, l] of Object.entries(report.lag)) console.log(`lag ${g.padEnd(22)} ${l}`);
      }
      return 0;
    } finally {
      await pool.end();
      await seen.close();
    }
  },
};

const ledgerVerify: Command = {
  name: 'ledger verify',
  summary: "Recompute each partition's hash chain and the anchors; name the first bad batch (exit 1)",
  usage: '',
  async run() {
    const pool = poolFor(loadConfig(), { max: 1 });
    try {
      const r = await verifyLedger(pool, (done, total) => say(`verified ${done}/${total} batches`));
      if (r.ok) {
        console.log(
          `ledger intact: ${r.batches} batches, ${r.rows} events, ${r.chains} chains, ${r.anchors} anchors`,
        );
        return 0;
      }
      console.log(
        `ledger TAMPERED: batch ${r.firstBad!.batchId} (chain ${JSON.stringify(r.firstBad!.chain)} position ${r.firstBad!.chainSeq}): ${r.firstBad!.reason}`,
      );
      return 1;
    } finally {
      await pool.end();
    }
  },
};

const config: Command = {
  name: 'config',
  summary: 'Print every setting, its environment variable and default',
  usage: '',
  async run() {
    console.log(describeSettings());
    return 0;
  },
};

export const pipelineCommands: Command[] = [
  demo,
  run,
  produceDemo,
  stats,
  init,
  topicsCreate,
  schemasRegister,
  schemasCheck,
  dbMigrate,
  ledgerVerify,
  config,
];
