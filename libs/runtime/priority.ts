/**
 * A stage process's CPU priority: `STAGE_NICE` for every consumer stage, at least `BACKGROUND_NICE`
 * for a background one (the surge sink), so that on a shared box the pipeline's bulk work yields the
 * CPU to interactive work (journey and lot queries, the console) and a recall's surge to the normal
 * flow.
 *
 * Niceness ranks a process only against the processes of its own scheduling group. On a Linux box
 * whose processes sit in the root cgroup with `kernel.sched_autogroup_enabled`, every session is
 * such a group (and so is every PostgreSQL backend, which starts a session of its own): a niced
 * stage in its starter's session still takes that session's whole share against the backends of
 * the queries. A stage that leads a session of its own (`spawnStage` and `superviseStage` start it so
 * when STAGE_NICE is set) therefore lowers its session's group too (`/proc/self/autogroup`). In a container, the
 * container's cgroup is the group: the niceness ranks the processes inside it, and the cgroup's CPU
 * weight (compose `cpu_shares`, Kubernetes requests) ranks it against the others.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config';

/** The niceness a stage's process takes: STAGE_NICE, and at least BACKGROUND_NICE when it is a background stage. */
export function niceOf(
  stage: { background?: boolean },
  config: Pick<Config, 'stageNice' | 'backgroundNice'>,
): number {
  return stage.background ? Math.max(config.stageNice, config.backgroundNice) : config.stageNice;
}

export interface Priority {
  nice: number;
  /** Whether the process's autogroup (its own session's) was lowered as well. */
  autogroup: boolean;
}

/** Lowers this process's CPU priority to `nice` (0: leaves it), and its autogroup's when it leads its own session. */
export function lowerPriority(nice: number, procSelf = '/proc/self'): Priority {
  if (nice <= 0) return { nice: 0, autogroup: false };
  os.setPriority(0, nice);
  return { nice, autogroup: lowerAutogroup(nice, procSelf) };
}

/**
 * Sets the nice of this process's autogroup, only when the process leads a session of its own: the
 * autogroup is the session's, and a stage run from a shell must not lower the shell's.
 */
function lowerAutogroup(nice: number, procSelf: string): boolean {
  const file = path.join(procSelf, 'autogroup');
  if (!fs.existsSync(file) || !leadsSession(procSelf)) return false;
  try {
    fs.writeFileSync(file, String(nice));
    return true;
  } catch {
    // A kernel that refuses it: the process's own niceness still holds within its group.
    return false;
  }
}

/** /proc/PID/stat: "pid (comm) state ppid pgrp session ..."; comm may hold spaces and parentheses. */
function leadsSession(procSelf: string): boolean {
  try {
    const stat = fs.readFileSync(path.join(procSelf, 'stat'), 'utf8');
    const [pid] = stat.split(' ', 1);
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[3] === pid;
  } catch {
    return false;
  }
}
