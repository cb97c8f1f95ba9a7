/**
 * CPU time of processes from /proc (Linux): user + system time of every thread, in microseconds.
 * A benchmark takes a snapshot of a set of processes at two moments and divides the difference by
 * what was done in between (for example µs of CPU per landed event).
 */
import fs from 'node:fs';
import { statFields } from '../stack';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on every Linux ABI). */
const TICKS_PER_SECOND = 100;

/** utime + stime of one process (all its threads) in µs, or null if it is gone (or not Linux). */
export function processCpuMicros(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = statFields(stat);
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return ((utime + stime) * 1e6) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** This process's own CPU (user + system) in µs since `since`, a `process.cpuUsage()` taken before. */
export function ownCpuMicros(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return d.user + d.system;
}

/** The parent pid of a process, or null. */
export function parentPid(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(statFields(stat)[1]);
  } catch {
    return null;
  }
}

/** Every process of this machine now (the numeric entries of /proc), or none where there is no /proc. */
export function allPids(): number[] {
  if (!fs.existsSync('/proc')) return [];
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** Every live process whose parent is one of `pids`, recursively (a stage's own children). */
export function descendants(pids: readonly number[]): number[] {
  const wanted = new Set(pids);
  const out: number[] = [];
  let grew = true;
  const all = allPids();
  while (grew) {
    grew = false;
    for (const pid of all) {
      if (wanted.has(pid)) continue;
      const ppid = parentPid(pid);
      if (ppid !== null && wanted.has(ppid)) {
        wanted.add(pid);
        out.push(pid);
        grew = true;
      }
    }
  }
  return out;
}

/** The command line of a process (NULs as spaces), or ''. */
export function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** CPU µs per named group of processes, from a snapshot of each process. */
export type CpuSnapshot = Map<number, number>;

export function snapshotCpu(pids: Iterable<number>): CpuSnapshot {
  const out: CpuSnapshot = new Map();
  for (const pid of pids) {
    const us = processCpuMicros(pid);
    if (us !== null) out.set(pid, us);
  }
  return out;
}

/**
 * CPU used between two snapshots by the processes of `after`: a process that was not in `before`
 * started in between, so all of its time counts. A process gone by `after` is lost (its time
 * cannot be read any more), so take `after` while the processes still run.
 */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): number {
  let us = 0;
  for (const [pid, t] of after) us += t - (before.get(pid) ?? 0);
  return us;
}

/**
 * The pid of the process listening on TCP `port` of this machine (from /proc/net/tcp and tcp6, then
 * the socket among the processes' open files), or null: not listening here, not Linux, or not ours
 * to read. A benchmark counts a local server's CPU this way (the Redis of the seen-set).
 */
export function listenerPid(port: number): number | null {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; the inode is the tenth field.
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.add(f[9]!);
    }
  }
  if (inodes.size === 0) return null;
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  for (const pid of allPids()) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (wanted.has(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))) return pid;
      } catch {
        // closed meanwhile
      }
    }
  }
  return null;
}
