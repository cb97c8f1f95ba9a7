/**
 * Process supervision: stage processes started as `unitrail run STAGE` children, stopped cleanly
 * (SIGTERM: finish the batch, commit, leave the group; SIGKILL after a timeout), and a supervisor
 * that keeps N of one stage alive with back-off. Used by `demo`, `scale`, the benches and the tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { settings } from '../config';
import { backoffMs } from '../retry';

/** The compiled CLI entry point, from compiled code or from sources run by ts-jest. */
export function cliEntry(): string {
  // dist/libs/supervisor → dist/services/cli/main.js; from sources, the compiled one under dist/.
  const compiled = path.join(__dirname, '../../services/cli/main.js');
  if (fs.existsSync(compiled)) return compiled;
  return path.join(__dirname, '../../dist/services/cli/main.js');
}

/**
 * Node's own flags for a stage's process. The fused pipeline keeps whole fetches and batches alive
 * across a scavenge, so with V8's default young generation (16 MB semi-spaces) most of it was copied
 * and then promoted: scavenges were about a third of its CPU. 64 MB semi-spaces let a batch die
 * young; the young generation grows to that only under load.
 */
export function nodeFlagsOf(stage: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const flags = stage === 'pipeline' ? ['--max-semi-space-size=64'] : [];
  return [...flags, ...profileFlags(stage, env)];
}

/**
 * `UNITRAIL_CPU_PROF_DIR=DIR` writes a V8 CPU profile of each stage process started here into DIR
 * when it exits (Node refuses `--cpu-prof` in NODE_OPTIONS); `UNITRAIL_CPU_PROF_STAGES=a,b` limits
 * it to those stages. How the benches' processes are profiled: docs/capacity.md.
 */
function profileFlags(stage: string, env: NodeJS.ProcessEnv): string[] {
  const dir = env.UNITRAIL_CPU_PROF_DIR;
  if (!dir) return [];
  const only = env.UNITRAIL_CPU_PROF_STAGES;
  if (only && !only.split(',').includes(stage)) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** Where a started process finds the pid of the process that started it (stopWithParent). */
const PARENT_PID_ENV = 'UNITRAIL_PARENT_PID';

/** A started stage's environment: the parent's, no metrics port of its own, and who started it. */
const childEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
  ...process.env,
  METRICS_PORT: '0',
  ...env,
  [PARENT_PID_ENV]: String(process.pid),
});

/**
 * In a process started by spawnStage or superviseStage: once the process that started it is gone
 * (a demo, a bench or `scale` ended by `kill` or SIGKILL, which run no clean-up of their own), it
 * sends itself SIGTERM, the stage's clean stop (finish the batch, commit, leave the group), instead
 * of consuming on as an orphan. It checks its parent pid once a `checkMs`; elsewhere it does nothing.
 */
export function stopWithParent(checkMs = 1000): void {
  const parent = Number(process.env[PARENT_PID_ENV]);
  if (!Number.isInteger(parent) || parent <= 0) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, checkMs);
  timer.unref();
}

/**
 * Whether a stage started with `env` leads a session of its own (spawn's `detached`), so that its
 * autogroup is its own to lower (libs/runtime/priority.ts): when STAGE_NICE asks for a niceness.
 * With STAGE_NICE unset or 0 it stays in its starter's session as before: a session each would be
 * a scheduling group each, a larger share of the CPU than one. Either way it is stopped by pid
 * (stopStages) or stops itself when its starter is gone (stopWithParent).
 */
export function ownSessionFor(env: NodeJS.ProcessEnv): boolean {
  const { env: name, parse } = settings.stageNice;
  try {
    return parse(env[name] ?? settings.stageNice.default, name) > 0;
  } catch {
    return false; // a bad value: the stage refuses it at start with its one-line message
  }
}

/** Starts a stage as a child process of its own, logging to the state dir. */
export function spawnStage(name: string, logDir: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  fs.mkdirSync(logDir, { recursive: true });
  const log = fs.openSync(path.join(logDir, `${name}.log`), 'a');
  const full = childEnv(env);
  const child = spawn(process.execPath, [...nodeFlagsOf(name), cliEntry(), 'run', name], {
    stdio: ['ignore', log, log],
    env: full,
    detached: ownSessionFor(full),
  });
  // The child holds its own copy of the log's descriptor.
  fs.closeSync(log);
  return child;
}

export async function stopStages(children: ChildProcess[], timeoutMs = 30000): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
          c.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  );
}

export interface ConsumerProcess {
  index: number;
  pid: number | undefined;
  restarts: number;
  startedAt: number;
  /** Last exit (code or signal) of this slot's process, if it ever exited. */
  lastExit: string | null;
}

export interface Supervisor {
  consumers(): ConsumerProcess[];
  /** SIGTERM to every process (each finishes its batch, commits, leaves the group), SIGKILL after timeoutMs. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts `consumers` processes of `stage` (`unitrail run STAGE`, so one consumer group: Kafka
 * spreads the partitions over them; or each in `groupId` when given) and restarts any that exits, with back-off, until stop().
 * Each logs to <logDir>/<stage>.<index>.log.
 */
export function superviseStage({
  stage,
  consumers,
  logDir,
  groupId,
  env = {},
  maxBackoffMs = 30_000,
  onEvent = () => {},
}: {
  stage: string;
  consumers: number;
  logDir: string;
  /** A consumer group other than the stage's own `ut.<stage>`. */
  groupId?: string;
  env?: NodeJS.ProcessEnv;
  maxBackoffMs?: number;
  onEvent?: (line: string) => void;
}): Supervisor {
  fs.mkdirSync(logDir, { recursive: true });
  let stopping = false;
  const slots = Array.from({ length: consumers }, (_, index) => ({
    index,
    child: undefined as ChildProcess | undefined,
    restarts: 0,
    startedAt: 0,
    lastExit: null as string | null,
    timer: undefined as NodeJS.Timeout | undefined,
  }));

  const start = (slot: (typeof slots)[number]) => {
    const log = fs.openSync(path.join(logDir, `${stage}.${slot.index}.log`), 'a');
    const args = groupId ? ['scale', stage, '--group', groupId, '--foreground'] : ['run', stage];
    const full = childEnv(env);
    const child = spawn(process.execPath, [...nodeFlagsOf(stage), cliEntry(), ...args], {
      stdio: ['ignore', log, log],
      env: full,
      detached: ownSessionFor(full),
    });
    fs.closeSync(log);
    slot.child = child;
    slot.startedAt = Date.now();
    child.once('exit', (code, signal) => {
      slot.lastExit = signal ?? `exit ${code}`;
      if (stopping) return;
      // A process that ran a while restarts at once; one that keeps failing backs off.
      const ranMs = Date.now() - slot.startedAt;
      const backoff =
        ranMs > 60_000 ? 0 : backoffMs(slot.restarts, { initialMs: 1000, maxMs: maxBackoffMs, jitter: 0.2 });
      slot.restarts++;
      onEvent(
        `${stage} #${slot.index} (pid ${child.pid}) ended (${slot.lastExit}); restarting in ${backoff / 1000} s`,
      );
      slot.timer = setTimeout(() => {
        start(slot);
        onEvent(`${stage} #${slot.index} restarted (pid ${slot.child?.pid})`);
      }, backoff);
    });
  };
  for (const slot of slots) start(slot);

  return {
    consumers: () =>
      slots.map(({ index, child, restarts, startedAt, lastExit }) => ({
        index,
        pid: child?.pid,
        restarts,
        startedAt,
        lastExit,
      })),
    async stop(timeoutMs = 30_000) {
      stopping = true;
      for (const s of slots) clearTimeout(s.timer);
      await stopStages(
        slots.flatMap((s) => (s.child ? [s.child] : [])),
        timeoutMs,
      );
    },
  };
}
