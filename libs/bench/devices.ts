/**
 * `unitrail bench devices`: the device-health detectors on the demo floor of many seeds, without
 * the stack. For each seed the same stream with and without the faults: what was missed, what was
 * a false alarm, and how many records after each fault began it was flagged.
 */
import { loadavg } from 'node:os';
import { generateFloorDemo, parseFaults } from '../demo';
import { detectOnDemo, detectionFigures } from '../devices';
import type { DetectorSettings } from '../devices';

export interface DevicesBench {
  events: number;
  seeds: number;
  faults: string;
  missed: number;
  falseAlarmsFaulty: number;
  falseAlarmsClean: number;
  delays: Record<string, { flagged: number; min: number; median: number; p95: number; max: number }>;
  seconds: number;
  load: number[];
}

export function benchDevices(
  {
    events = 20_000,
    seeds = 30,
    firstSeed = 1,
    faults = 'default',
    settings,
  }: {
    events?: number;
    seeds?: number;
    firstSeed?: number;
    faults?: string;
    settings?: DetectorSettings;
  },
  onSeed: (seed: number) => void = () => {},
): DevicesBench {
  const t0 = Date.now();
  const plan = parseFaults(faults);
  const delays = new Map<string, number[]>();
  let missed = 0;
  let falseAlarmsFaulty = 0;
  let falseAlarmsClean = 0;
  for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
    const options = { events, seed, dupRate: 0.05, invalidRate: 0.01 };
    const faulty = generateFloorDemo(options, plan);
    const figures = detectionFigures(
      faulty.records,
      faulty.report,
      detectOnDemo(faulty.records, settings).alerts,
    );
    missed += figures.missed;
    falseAlarmsFaulty += figures.falseAlarms.length;
    for (const f of figures.faults)
      if (f.delayRecords !== null) delays.set(f.kind, [...(delays.get(f.kind) ?? []), f.delayRecords]);
    const clean = generateFloorDemo(options, parseFaults('none'));
    falseAlarmsClean += detectOnDemo(clean.records, settings).alerts.length;
    onSeed(seed);
  }
  const at = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
  return {
    events,
    seeds,
    faults,
    missed,
    falseAlarmsFaulty,
    falseAlarmsClean,
    delays: Object.fromEntries(
      [...delays].map(([kind, xs]) => {
        const s = [...xs].sort((a, b) => a - b);
        return [
          kind,
          { flagged: s.length, min: s[0]!, median: at(s, 0.5), p95: at(s, 0.95), max: s[s.length - 1]! },
        ];
      }),
    ),
    seconds: Number(((Date.now() - t0) / 1000).toFixed(1)),
    load: loadavg().map((l) => Number(l.toFixed(2))),
  };
}
