/**
 * A V8 CPU profile (`.cpuprofile`, from `--cpu-prof`; UNITRAIL_CPU_PROF_DIR makes the stage processes
 * write one) summed the way docs/capacity.md quotes profiles: each function's share of the busy
 * samples by itself (self) and with everything it calls (inclusive: a function counts once per
 * sample, however deeply it recurses), and the busy share of each second of the run. Samples where
 * the event loop waited (`(idle)`) are not busy; V8 attributes the builtins a function calls
 * (`JSON.stringify`, say) to the function's own time.
 */
import { UsageError } from '../errors';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionShare {
  /** `name file:line`, the file from `dist/` or `node_modules/` on; V8's own entries by name. */
  fn: string;
  /** Percent of the busy samples, one decimal. */
  percent: number;
}

export interface ProfileSummary {
  samples: number;
  busySamples: number;
  self: FunctionShare[];
  inclusive: FunctionShare[];
  /** Per second from the profile's start: percent of that second's samples that were busy. */
  busyPercentBySecond: number[];
}

const IDLE = '(idle)';

/** A profile from its file's text; refuses what is not one, naming the file. */
export function parseCpuProfile(text: string, file: string): CpuProfile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not JSON (a .cpuprofile written by node --cpu-prof is)`);
  }
  const p = value as Partial<CpuProfile> | null;
  if (
    !p ||
    !Array.isArray(p.nodes) ||
    !Array.isArray(p.samples) ||
    !Array.isArray(p.timeDeltas) ||
    typeof p.startTime !== 'number'
  )
    throw new UsageError(
      `${file} is not a V8 CPU profile: it needs nodes, samples, timeDeltas and startTime`,
    );
  return p as CpuProfile;
}

function nameOf({ callFrame: { functionName, url, lineNumber } }: ProfileNode): string {
  const name = functionName || '(anonymous)';
  if (!url) return name;
  return `${name} ${url.replace(/^.*?\/(dist|node_modules)\//, '$1/')}:${lineNumber + 1}`;
}

const ranked = (counts: Map<string, number>, busy: number, top: number): FunctionShare[] =>
  [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, n]) => ({ fn, percent: Math.round((1000 * n) / busy) / 10 }));

export function summarizeCpuProfile(profile: CpuProfile, top = 40): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Named once per node, not once per sample and frame (a drain's profile: ~30,000 samples, deep stacks).
  const names = new Map(profile.nodes.map((n) => [n.id, nameOf(n)]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const seconds: { busy: number; all: number }[] = [];
  let busy = 0;
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    const second = Math.max(0, Math.floor((t - profile.startTime) / 1e6));
    for (let s = seconds.length; s <= second; s++) seconds.push({ busy: 0, all: 0 });
    seconds[second]!.all++;
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === IDLE) return;
    busy++;
    seconds[second]!.busy++;
    const own = names.get(id)!;
    self.set(own, (self.get(own) ?? 0) + 1);
    const counted = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const name = names.get(at)!;
      if (counted.has(name) || parentOf.get(at) === undefined) continue; // the (root) is every sample
      counted.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + 1);
    }
  });
  return {
    samples: profile.samples.length,
    busySamples: busy,
    self: ranked(self, busy, top),
    inclusive: ranked(inclusive, busy, top),
    busyPercentBySecond: seconds.map((s) => (s.all === 0 ? 0 : Math.round((100 * s.busy) / s.all))),
  };
}
