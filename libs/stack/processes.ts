/**
 * Background processes of the stack: started detached (they outlive the CLI), output to a log
 * file, remembered by a pid file. A part counts as running only when its pid is alive *and* is
 * still the program we started (pids are reused), so a stale pid file never fools `up` or `down`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface Detached {
  command: string;
  args: string[];
  cwd: string;
  logFile: string;
  pidFile: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this user (postgres refuses to run as root). */
  uid?: number;
  gid?: number;
}

export function startDetached({
  command,
  args,
  cwd,
  logFile,
  pidFile,
  env = process.env,
  uid,
  gid,
}: Detached): number {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  fs.writeSync(out, `\n--- ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
  try {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', out, out], uid, gid });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    fs.writeFileSync(pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    fs.closeSync(out);
  }
}

/** What identifies our process in its command line (pids are reused by unrelated programs). */
export type Marker = string | RegExp;

export function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The fields of a /proc/PID/stat text after the command name (state, ppid, pgrp, session, ...):
 * the name (field 2) may hold spaces and parentheses, so they start after its last ')'.
 */
export const statFields = (stat: string): string[] => stat.slice(stat.lastIndexOf(')') + 2).split(' ');

/** A process of this pid exists (signal 0 reaches it, or it is another user's: EPERM). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Alive, and (where /proc tells) its command line contains (or matches) `marker`. */
export function isOurs(pid: number | undefined, marker: Marker): pid is number {
  if (pid === undefined || !processAlive(pid)) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (statFields(stat)[0] === 'Z') return false; // exited, not yet reaped
    const cmdline = commandLine(pid);
    return typeof marker === 'string' ? cmdline.includes(marker) : marker.test(cmdline);
  } catch {
    return !fs.existsSync('/proc/self'); // no /proc (macOS): trust the live pid
  }
}

/** The process's command line with spaces between arguments ('' where /proc does not tell). */
export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** The running pid of a part, or undefined (and a stale pid file removed). */
export function runningPid(pidFile: string, marker: Marker): number | undefined {
  const pid = readPid(pidFile);
  if (isOurs(pid, marker)) return pid;
  if (pid !== undefined) fs.rmSync(pidFile, { force: true });
  return undefined;
}

/** Sends `signal`, waits up to `graceMs` for the process to go, then SIGKILL. */
export async function stopProcess(
  pid: number,
  marker: Marker,
  { signal = 'SIGTERM', graceMs = 30_000 }: { signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isOurs(pid, marker)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await sleep(200);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True when something accepts TCP connections on host:port. */
export function portAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A port nothing listens on, chosen by the kernel. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `probe` until it returns true, the deadline passes, or `stillAlive` says the process
 * died (then there is no point waiting out the time-out).
 */
export async function waitUntil(
  probe: () => Promise<boolean>,
  {
    timeoutMs,
    stillAlive = () => true,
    intervalMs = 250,
  }: { timeoutMs: number; stillAlive?: () => boolean; intervalMs?: number },
): Promise<'up' | 'timeout' | 'exited'> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return 'up';
    if (!stillAlive()) return 'exited';
    if (Date.now() > deadline) return 'timeout';
    await sleep(intervalMs);
  }
}
