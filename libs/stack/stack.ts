/**
 * The local stack: Kafka and the schema registry from the jar cache, PostgreSQL and Redis from
 * the machine (or project-local ones when installed but not running). Every part is brought up
 * by one function of the same shape: leave it alone when it already answers, otherwise start
 * it detached and wait until it answers, or fail naming the part and its log.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config';
import { DependencyError, UnitrailError, oneLine } from '../errors';
import { isLoopback, kafkaEndpoint, registryEndpoint, urlPort, withPort } from './endpoints';
import {
  createScramUser,
  formatStorage,
  isFormatted,
  kafkaAnswers,
  kafkaJavaArgs,
  kafkaServerProperties,
} from './kafka';
import { databaseName, ensureDatabase } from '../store';
import { repoRoot, stackVersions, stateDir } from './paths';
import {
  dataDir as postgresDataDir,
  initCluster,
  postgresArgs,
  postgresProbe,
  postgresRunAs,
  userName,
  type Probe,
} from './postgres';
import { findJava, findPostgresBin, findRedisServer, type Java } from './prerequisites';
import {
  commandLine,
  freePort,
  portAnswers,
  runningPid,
  startDetached,
  stopProcess,
  waitUntil,
  type Marker,
} from './processes';
import { redisArgs, redisMarker, redisProbe } from './redis';
import { registryAnswers, registryJavaArgs } from './registry';
import { apicurioRunnerJar, resolveApicurio, resolveKafkaJars } from './resolve';
import {
  PARTS,
  readStackFile,
  writeStackFile,
  type PartName,
  type PartRecord,
  type StackFile,
} from './state';

export type Progress = (line: string) => void;
const toStderr: Progress = (line) => process.stderr.write(`${line}\n`);

export interface StackUpOptions {
  /** How long each part may take to answer after it was started. */
  timeoutMs?: number;
  progress?: Progress;
  env?: NodeJS.ProcessEnv;
}

export interface PartUp {
  name: PartName;
  url: string;
  managed: boolean;
  /** 'started' now, 'running' already (started earlier), 'external' (not ours, answering). */
  how: 'started' | 'running' | 'external';
  pid?: number;
  log?: string;
  seconds: number;
}

export interface StackUpResult {
  parts: PartUp[];
  seconds: number;
}

/** The files of one state dir. */
export function stackFiles(dir: string) {
  const logs = path.join(dir, 'logs');
  return {
    dir,
    logs,
    log: (part: PartName) => path.join(logs, `${part}.log`),
    pid: (part: PartName) => path.join(dir, `${part}.pid`),
    kafkaProperties: path.join(dir, 'kafka', 'server.properties'),
    kafkaData: path.join(dir, 'kafka', 'data'),
    registryData: path.join(dir, 'registry'),
    postgresHome: path.join(dir, 'postgres'),
    redisHome: path.join(dir, 'redis'),
  };
}
type Files = ReturnType<typeof stackFiles>;

/** What identifies each part's process: a path only this clone's stack puts on its command line. */
function markerOf(part: PartName, files: Files, port?: number): Marker {
  switch (part) {
    case 'kafka':
      return files.kafkaProperties;
    case 'registry':
      return files.registryData;
    case 'postgres':
      return postgresDataDir(files.postgresHome);
    case 'redis':
      return redisMarker(port ?? 0);
  }
}

const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10;
const took = (since: number) => `${seconds(since).toFixed(1)} s`;

/**
 * Brings every part up (in parallel), records the endpoints in stack.json and returns them.
 * Idempotent: parts already answering are left alone.
 */
export async function stackUp({
  timeoutMs = 120_000,
  progress = toStderr,
  env = process.env,
}: StackUpOptions = {}): Promise<StackUpResult> {
  const started = Date.now();
  const config = loadConfig(env);
  const files = stackFiles(stateDir(env));
  fs.mkdirSync(files.logs, { recursive: true });
  const recorded = readStackFile(files.dir);
  const kafka = kafkaEndpoint(env);
  const registry = registryEndpoint(env);
  let java: Promise<Java> | undefined; // looked for only when a JVM part has to start
  const ctx: Ctx = {
    files,
    timeoutMs,
    progress,
    env,
    java: () => (java ??= findJava(env)),
    recorded,
    resolving: Promise.resolve(),
  };

  const steps: Record<PartName, () => Promise<PartUp>> = {
    kafka: () => upKafka(ctx, kafka),
    registry: () => upRegistry(ctx, registry),
    postgres: () => upPostgres(ctx, config.databaseUrl),
    redis: () => upRedis(ctx, config.redisUrl),
  };
  const settled = await Promise.allSettled(PARTS.map((name) => steps[name]()));

  const file: StackFile = readStackFile(files.dir);
  const parts: PartUp[] = [];
  const failures: unknown[] = [];
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') {
      parts.push(s.value);
      const { url, managed } = s.value;
      const port = s.value.name === 'postgres' || s.value.name === 'redis' ? urlPort(url, 0) : undefined;
      file.parts[PARTS[i] as PartName] = { url, managed, ...(port ? { port } : {}) };
    } else {
      failures.push(s.reason);
    }
  });
  writeStackFile(files.dir, file);
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    const first = failures[0] as unknown;
    throw new UnitrailError(
      first instanceof UnitrailError ? first.code : 'STACK',
      [...new Set(failures.map((f) => oneLine(f)))].join('; '),
      { retriable: failures.every((f) => f instanceof UnitrailError && f.retriable) },
    );
  }
  return { parts, seconds: seconds(started) };
}

interface Ctx {
  files: Files;
  timeoutMs: number;
  progress: Progress;
  env: NodeJS.ProcessEnv;
  java: () => Promise<Java>;
  recorded: StackFile;
  /** Maven runs one at a time (two writers to ~/.m2 can corrupt it). */
  resolving: Promise<unknown>;
}

function serially<T>(ctx: Ctx, work: () => Promise<T>): Promise<T> {
  const next = ctx.resolving.then(work, work);
  ctx.resolving = next.catch(() => undefined);
  return next;
}

/** Waits for a just-started (or still-starting) process; the error names the part and its log. */
async function waitForPart(
  ctx: Ctx,
  part: PartName,
  address: string,
  pid: number,
  marker: Marker,
  probe: () => Promise<boolean>,
): Promise<void> {
  const outcome = await waitUntil(probe, {
    timeoutMs: ctx.timeoutMs,
    stillAlive: () => runningPid(ctx.files.pid(part), marker) === pid,
  });
  if (outcome === 'up') return;
  const log = ctx.files.log(part);
  const hint = lastProblem(log);
  const what =
    outcome === 'exited'
      ? `exited while starting (pid ${pid})`
      : `did not answer on ${address} within ${Math.round(ctx.timeoutMs / 1000)} s`;
  throw new DependencyError(part, `${what}; see ${log}${hint ? ` (${hint})` : ''}`);
}

/** The last line of a log that looks like the reason a process failed, shortened to fit one line. */
export function lastProblem(logFile: string): string | undefined {
  let text: string;
  try {
    const fd = fs.openSync(logFile, 'r');
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, 64 * 1024));
    fs.readSync(fd, buf, 0, buf.length, size - buf.length);
    fs.closeSync(fd);
    text = buf.toString('utf8');
  } catch {
    return undefined;
  }
  const line = text
    .split('\n')
    .reverse()
    .find((l) => /\b(ERROR|FATAL|Error|error:)\b|Exception\b/.test(l));
  return line ? line.trim().slice(0, 200) : undefined;
}

async function upKafka(ctx: Ctx, kafka: ReturnType<typeof kafkaEndpoint>): Promise<PartUp> {
  const t0 = Date.now();
  const { files, progress } = ctx;
  const url = kafka.brokers.join(',');
  const address = `${kafka.host}:${kafka.port}`;
  const probe = () => kafkaAnswers(kafka.brokers);
  if (!kafka.local) return external(ctx, 'kafka', url, probe, 'KAFKA_BROKERS points off this machine');
  const marker = markerOf('kafka', files);
  const pid = runningPid(files.pid('kafka'), marker);
  if (pid !== undefined) {
    const running = fs.readFileSync(files.kafkaProperties, 'utf8');
    if (
      !running.includes(
        `PLAINTEXT://${address},CONTROLLER://${kafka.host}:${kafka.controllerPort},SASL_PLAINTEXT://${kafka.host}:${kafka.saslPort}`,
      )
    ) {
      throw movedPorts('kafka', pid, address);
    }
    await waitForPart(ctx, 'kafka', address, pid, marker, probe);
    progress(`kafka: already running on ${address} (pid ${pid})`);
    return {
      name: 'kafka',
      url,
      managed: true,
      how: 'running',
      pid,
      log: files.log('kafka'),
      seconds: seconds(t0),
    };
  }
  if (await portAnswers(kafka.host, kafka.port)) {
    return foreign(ctx, 'kafka', url, address, probe, 'set KAFKA_BROKERS (or KAFKA_PORT) to a free port');
  }
  if (await portAnswers(kafka.host, kafka.controllerPort)) {
    throw new DependencyError(
      'kafka',
      `controller port ${kafka.host}:${kafka.controllerPort} is taken by another program; set KAFKA_CONTROLLER_PORT to a free port`,
    );
  }
  if (await portAnswers(kafka.host, kafka.saslPort)) {
    throw new DependencyError(
      'kafka',
      `SASL port ${kafka.host}:${kafka.saslPort} is taken by another program; set KAFKA_SASL_PORT to a free port`,
    );
  }
  const java = await ctx.java();
  const jars = await serially(ctx, async () => {
    const { kafka: version } = stackVersions(ctx.env);
    const t = Date.now();
    let announced = false;
    const timer = setTimeout(() => {
      announced = true;
      progress(`kafka: fetching Apache Kafka ${version} from Maven Central into the cache (once)…`);
    }, 1000);
    try {
      const dir = await resolveKafkaJars(ctx.env);
      if (announced) progress(`kafka: fetched into ${dir} (${took(t)})`);
      return dir;
    } finally {
      clearTimeout(timer);
    }
  });
  fs.mkdirSync(files.kafkaData, { recursive: true });
  fs.writeFileSync(
    files.kafkaProperties,
    kafkaServerProperties({
      host: kafka.host,
      port: kafka.port,
      controllerPort: kafka.controllerPort,
      saslPort: kafka.saslPort,
      dataDir: files.kafkaData,
    }),
  );
  if (!isFormatted(files.kafkaData)) {
    progress(`kafka: formatting storage in ${files.kafkaData}…`);
    await formatStorage(java.bin, jars, files.kafkaProperties);
  }
  progress('kafka: starting…');
  const t1 = Date.now();
  const started = startDetached({
    command: java.bin,
    args: kafkaJavaArgs(jars, files.kafkaProperties, ctx.env),
    cwd: files.dir,
    logFile: files.log('kafka'),
    pidFile: files.pid('kafka'),
  });
  await waitForPart(ctx, 'kafka', address, started, marker, probe);
  await createScramUser(java.bin, jars, address);
  progress(`kafka: up on ${address}, SASL (SCRAM, PLAIN) on ${kafka.host}:${kafka.saslPort} (${took(t1)})`);
  return {
    name: 'kafka',
    url,
    managed: true,
    how: 'started',
    pid: started,
    log: files.log('kafka'),
    seconds: seconds(t0),
  };
}

async function upRegistry(ctx: Ctx, registry: ReturnType<typeof registryEndpoint>): Promise<PartUp> {
  const t0 = Date.now();
  const { files, progress } = ctx;
  const { url } = registry;
  const address = `${registry.host}:${registry.port}`;
  const probe = () => registryAnswers(url);
  if (!registry.local)
    return external(ctx, 'registry', url, probe, 'SCHEMA_REGISTRY_URL points off this machine');
  const marker = markerOf('registry', files);
  const pid = runningPid(files.pid('registry'), marker);
  if (pid !== undefined) {
    const cmdline = commandLine(pid); // '' without /proc: cannot tell, trust it
    if (cmdline && !cmdline.includes(`-Dquarkus.http.port=${registry.port} `)) {
      throw movedPorts('registry', pid, address);
    }
    await waitForPart(ctx, 'registry', address, pid, marker, probe);
    progress(`registry: already running on ${url} (pid ${pid})`);
    return {
      name: 'registry',
      url,
      managed: true,
      how: 'running',
      pid,
      log: files.log('registry'),
      seconds: seconds(t0),
    };
  }
  if (await portAnswers(registry.host, registry.port)) {
    return foreign(
      ctx,
      'registry',
      url,
      address,
      probe,
      'set SCHEMA_REGISTRY_URL (or REGISTRY_PORT) to a free port',
    );
  }
  const java = await ctx.java();
  const home = await serially(ctx, async () => {
    const { apicurio: version } = stackVersions(ctx.env);
    const t = Date.now();
    let announced = false;
    const timer = setTimeout(() => {
      announced = true;
      progress(`registry: fetching Apicurio Registry ${version} from Maven Central into the cache (once)…`);
    }, 1000);
    try {
      const dir = await resolveApicurio(ctx.env);
      if (announced) progress(`registry: fetched into ${dir} (${took(t)})`);
      return dir;
    } finally {
      clearTimeout(timer);
    }
  });
  fs.mkdirSync(files.registryData, { recursive: true });
  progress('registry: starting…');
  const t1 = Date.now();
  const started = startDetached({
    command: java.bin,
    args: registryJavaArgs(apicurioRunnerJar(home), {
      host: registry.host,
      port: registry.port,
      dataDir: files.registryData,
    }),
    cwd: files.registryData,
    logFile: files.log('registry'),
    pidFile: files.pid('registry'),
  });
  await waitForPart(ctx, 'registry', address, started, marker, probe);
  progress(`registry: up on ${url} (${took(t1)})`);
  return {
    name: 'registry',
    url,
    managed: true,
    how: 'started',
    pid: started,
    log: files.log('registry'),
    seconds: seconds(t0),
  };
}

/** The part runs, but was started for other ports than the environment now names. */
function movedPorts(part: PartName, pid: number, address: string): UnitrailError {
  return new DependencyError(
    part,
    `already running (pid ${pid}) on other ports than ${address}; run 'unitrail stack down' first to move it`,
  );
}

/** Something not ours answers where the part should be: use it when it speaks the protocol. */
async function foreign(
  ctx: Ctx,
  part: PartName,
  url: string,
  address: string,
  probe: () => Promise<boolean>,
  fix: string,
): Promise<PartUp> {
  const t0 = Date.now();
  if (await waitUntil(probe, { timeoutMs: 5000 }).then((o) => o === 'up')) {
    ctx.progress(`${part}: already answering on ${address}, started outside this stack (left alone)`);
    return { name: part, url, managed: false, how: 'external', seconds: seconds(t0) };
  }
  throw new DependencyError(part, `port ${address} is taken by a program that is not a ${part}; ${fix}`);
}

async function external(
  ctx: Ctx,
  part: PartName,
  url: string,
  probe: () => Promise<boolean>,
  why: string,
): Promise<PartUp> {
  const t0 = Date.now();
  if (await waitUntil(probe, { timeoutMs: 10_000 }).then((o) => o === 'up')) {
    ctx.progress(`${part}: using ${url} (${why}; not started here)`);
    return { name: part, url, managed: false, how: 'external', seconds: seconds(t0) };
  }
  throw new DependencyError(part, `nothing answers at ${url} (${why}, so stack up does not start it)`);
}

/**
 * PostgreSQL/Redis share one decision: keep the project-local instance recorded earlier (unless
 * the environment now names another URL); else use the configured one when it answers; else
 * start a project-local one when the server is installed (on the configured port when free).
 */
async function localOrConfigured(
  ctx: Ctx,
  part: 'postgres' | 'redis',
  configured: string,
  probe: (url: string) => Promise<Probe>,
): Promise<{ url: string; local: boolean; recorded?: PartRecord }> {
  const envName = part === 'postgres' ? 'DATABASE_URL' : 'REDIS_URL';
  const recorded = ctx.recorded.parts[part];
  const explicit = ctx.env[envName];
  if (recorded?.managed && (!explicit || explicit === recorded.url))
    return { url: recorded.url, local: true, recorded };
  const answer = await probe(configured);
  if (answer.up) return { url: configured, local: false };
  if (!answer.refused)
    throw new DependencyError(
      part,
      `${redact(configured)} answers but refuses us: ${answer.reason}; fix ${envName}`,
    );
  const host = new URL(configured).hostname;
  if (!isLoopback(host)) {
    throw new DependencyError(
      part,
      `nothing answers at ${redact(configured)} (${answer.reason}); start it or fix ${envName}`,
    );
  }
  return { url: configured, local: true };
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** The configured port when nothing listens there, else one the kernel picks. */
async function portFor(url: string, fallback: number): Promise<number> {
  const port = urlPort(url, fallback);
  return (await portAnswers('127.0.0.1', port)) ? freePort() : port;
}

async function upPostgres(ctx: Ctx, configured: string): Promise<PartUp> {
  const t0 = Date.now();
  const { files, progress } = ctx;
  const target = await localOrConfigured(ctx, 'postgres', configured, (u) => postgresProbe(u));
  let url = target.url;
  let pid: number | undefined;
  let how: PartUp['how'] = 'external';
  if (!target.local) {
    progress(`postgres: using ${redact(url)} (the machine's own)`);
  } else {
    const marker = markerOf('postgres', files);
    pid = runningPid(files.pid('postgres'), marker);
    how = 'running';
    if (pid === undefined) {
      const binDir = findPostgresBin(ctx.env);
      if (!binDir) {
        throw new DependencyError(
          'postgres',
          `nothing answers at ${redact(url)} and PostgreSQL is not installed: start yours and set DATABASE_URL, or install it (apt-get install postgresql) so stack up can start a project-local one`,
        );
      }
      const runAs = postgresRunAs();
      const port = await portFor(url, 5432);
      url = withPort(url, port);
      const local = { binDir, home: files.postgresHome, port, superuser: userName(url) };
      progress(
        target.recorded
          ? `postgres: starting the project-local one in ${files.postgresHome}…`
          : `postgres: nothing answers at ${redact(configured)}; starting a project-local one in ${files.postgresHome}…`,
      );
      await initCluster(local, runAs);
      pid = startDetached({
        command: path.join(binDir, 'postgres'),
        args: postgresArgs(local),
        cwd: files.postgresHome,
        logFile: files.log('postgres'),
        pidFile: files.pid('postgres'),
        ...(runAs ?? {}),
      });
      how = 'started';
    }
    const ready = url;
    await waitForPart(ctx, 'postgres', redact(url), pid, marker, () =>
      postgresProbe(ready).then((p) => p.up),
    );
    progress(
      `postgres: ${how === 'started' ? 'up' : 'already running'} on ${redact(url)} (project-local, pid ${pid}, ${took(t0)})`,
    );
  }
  if (await ensureDatabase(url)) progress(`postgres: created database ${databaseName(url)}`);
  return {
    name: 'postgres',
    url,
    managed: target.local,
    how,
    ...(pid !== undefined ? { pid, log: files.log('postgres') } : {}),
    seconds: seconds(t0),
  };
}

async function upRedis(ctx: Ctx, configured: string): Promise<PartUp> {
  const t0 = Date.now();
  const { files, progress } = ctx;
  const target = await localOrConfigured(ctx, 'redis', configured, (u) => redisProbe(u));
  let url = target.url;
  if (!target.local) {
    progress(`redis: using ${redact(url)} (the machine's own)`);
    return { name: 'redis', url, managed: false, how: 'external', seconds: seconds(t0) };
  }
  let port = urlPort(url, 6379);
  let pid = runningPid(files.pid('redis'), markerOf('redis', files, port));
  let how: PartUp['how'] = 'running';
  if (pid === undefined) {
    const server = findRedisServer(ctx.env);
    if (!server) {
      throw new DependencyError(
        'redis',
        `nothing answers at ${redact(url)} and Redis is not installed: start yours and set REDIS_URL, or install it (apt-get install redis-server) so stack up can start a project-local one`,
      );
    }
    port = await portFor(url, 6379);
    url = withPort(url, port);
    fs.mkdirSync(files.redisHome, { recursive: true });
    progress(
      target.recorded
        ? `redis: starting the project-local one in ${files.redisHome}…`
        : `redis: nothing answers at ${redact(configured)}; starting a project-local one in ${files.redisHome}…`,
    );
    pid = startDetached({
      command: server,
      args: redisArgs(files.redisHome, port),
      cwd: files.redisHome,
      logFile: files.log('redis'),
      pidFile: files.pid('redis'),
    });
    how = 'started';
  }
  const ready = url;
  await waitForPart(ctx, 'redis', redact(url), pid, markerOf('redis', files, port), () =>
    redisProbe(ready).then((p) => p.up),
  );
  progress(
    `redis: ${how === 'started' ? 'up' : 'already running'} on ${redact(url)} (project-local, pid ${pid}, ${took(t0)})`,
  );
  return { name: 'redis', url, managed: true, how, pid, log: files.log('redis'), seconds: seconds(t0) };
}

export interface PartStatus {
  name: PartName;
  up: boolean;
  url: string;
  /** Started by this stack (pid file in the state dir) or someone else's. */
  managed: boolean;
  pid?: number;
  log?: string;
}

/** The status as aligned columns, then the state folder (`unitrail stack status`). */
export function formatStackStatus(report: { stateDir: string; parts: PartStatus[] }): string {
  const rows = report.parts.map((p) => [
    p.name,
    p.up ? 'up' : 'down',
    p.url,
    p.pid !== undefined ? `pid ${p.pid}` : p.managed ? '-' : 'external',
    p.log ?? '',
  ]);
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]!.length))) ?? [];
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [...rows.map(line), `state: ${report.stateDir}`].join('\n');
}

/** Each part: up or down, where, which pid, which log. Never throws for a part that is down. */
export async function stackStatus({ env = process.env }: { env?: NodeJS.ProcessEnv } = {}): Promise<{
  stateDir: string;
  parts: PartStatus[];
}> {
  const config = loadConfig(env);
  const files = stackFiles(stateDir(env));
  const recorded = readStackFile(files.dir);
  const urlOf = (part: PartName, configured: string) => {
    const r = recorded.parts[part];
    return r?.managed && !env[part === 'postgres' ? 'DATABASE_URL' : 'REDIS_URL'] ? r.url : configured;
  };
  const kafka = kafkaEndpoint(env);
  const registry = registryEndpoint(env);
  const pgUrl = urlOf('postgres', config.databaseUrl);
  const redisUrl = urlOf('redis', config.redisUrl);
  const checks: Record<PartName, { url: string; probe: () => Promise<boolean>; port?: number }> = {
    kafka: { url: kafka.brokers.join(','), probe: () => kafkaAnswers(kafka.brokers, 2000) },
    registry: { url: registry.url, probe: () => registryAnswers(registry.url, 2000) },
    postgres: { url: redact(pgUrl), probe: () => postgresProbe(pgUrl, 2000).then((p) => p.up) },
    redis: {
      url: redact(redisUrl),
      probe: () => redisProbe(redisUrl, 2000).then((p) => p.up),
      port: urlPort(redisUrl, 6379),
    },
  };
  const parts = await Promise.all(
    PARTS.map(async (name): Promise<PartStatus> => {
      const { url, probe, port } = checks[name];
      const pid = runningPid(files.pid(name), markerOf(name, files, port));
      const up = await probe().catch(() => false);
      return {
        name,
        up,
        url,
        managed: pid !== undefined || recorded.parts[name]?.managed === true,
        ...(pid !== undefined ? { pid } : {}),
        ...(fs.existsSync(files.log(name)) ? { log: files.log(name) } : {}),
      };
    }),
  );
  return { stateDir: files.dir, parts };
}

const STOP_SIGNAL: Record<PartName, NodeJS.Signals> = {
  kafka: 'SIGTERM', // controlled shutdown
  registry: 'SIGTERM',
  postgres: 'SIGINT', // "fast" shutdown: SIGTERM would wait for every client to disconnect
  redis: 'SIGTERM',
};

/**
 * Stops what this stack started (parts it found running are left alone). `purge` also deletes
 * the state dir: Kafka's data, the registry's schemas, local databases, logs. The jar cache stays.
 */
export async function stackDown({
  purge = false,
  progress = toStderr,
  env = process.env,
}: { purge?: boolean; progress?: Progress; env?: NodeJS.ProcessEnv } = {}): Promise<{ stopped: PartName[] }> {
  const files = stackFiles(stateDir(env));
  const recorded = readStackFile(files.dir);
  const stopped: PartName[] = [];
  await Promise.all(
    PARTS.map(async (name) => {
      const port = recorded.parts[name]?.port;
      const marker = markerOf(name, files, port);
      const pid = runningPid(files.pid(name), marker);
      if (pid === undefined) return;
      const t0 = Date.now();
      progress(`${name}: stopping (pid ${pid})…`);
      await stopProcess(pid, marker, { signal: STOP_SIGNAL[name] });
      fs.rmSync(files.pid(name), { force: true });
      progress(`${name}: stopped (${took(t0)})`);
      stopped.push(name);
    }),
  );
  if (purge && fs.existsSync(files.dir)) {
    refuseDangerousPurge(files.dir);
    fs.rmSync(files.dir, { recursive: true, force: true });
    progress(`stack: removed ${files.dir}`);
  }
  return { stopped };
}

/** A mistyped UNITRAIL_STATE_DIR must not make `down --purge` delete a home or a repository. */
function refuseDangerousPurge(dir: string): void {
  const resolved = path.resolve(dir);
  const protectedDirs = [path.parse(resolved).root, os.homedir(), repoRoot(), process.cwd()].map((d) =>
    path.resolve(d),
  );
  const inside = (child: string, parent: string) => !path.relative(parent, child).startsWith('..');
  if (protectedDirs.some((p) => inside(p, resolved))) {
    throw new UnitrailError(
      'STACK_PURGE',
      `refusing to delete ${resolved}: it holds ${protectedDirs.find((p) => inside(p, resolved))}; check UNITRAIL_STATE_DIR`,
    );
  }
}
