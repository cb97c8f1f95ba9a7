/**
 * The device-health detectors on simulated streams: synthetic ones for each test, and the demo's
 * floor over many seeds (no alarm on a clean stream, every injected fault flagged).
 */
import { loadConfig } from '../config';
import { prng } from '../demo';
import { generateFloorDemo, messageIdOf, parseFaults, type DemoRecord } from '../demo';
import {
  clockPointStanding,
  defaultDetectorSettings,
  healthOf,
  median,
  observe,
  theilSen,
  type DeviceAlert,
  type Fleet,
} from './detect';
import { detectorSettingsOf } from './settings';
import { demoObservations, detectOnDemo, detectionFigures } from './simulate';

const MIN = 60_000;
const verification = (device: string, at: number, read: boolean, grade: number | null, id = `m${at}`) =>
  ({ kind: 'verification', device, site: '4012345000016', receivedAt: at, id, read, grade }) as const;
const event = (device: string, at: number, offsetMs: number, id = `e${at}`) =>
  ({ kind: 'event', device, site: '4012345000016', receivedAt: at, eventTime: at + offsetMs, id }) as const;

describe('robust statistics', () => {
  it('takes the median of pairwise slopes, unmoved by a quarter of outliers', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const points: [number, number][] = Array.from({ length: 40 }, (_, i) => [
      i,
      2 * i + (i % 4 === 0 ? 500 : 0),
    ]);
    expect(theilSen(points)).toBeCloseTo(2, 5);
  });
});

describe('settings', () => {
  it('are the DEVICE_* defaults of libs/config', () => {
    expect(detectorSettingsOf(loadConfig({}))).toEqual(defaultDetectorSettings);
  });
});

describe('no-read rate (Bernoulli CUSUM)', () => {
  it('stays quiet on a healthy scanner, raises once when it degrades, clears when it recovers', () => {
    const rnd = prng(11);
    const fleet: Fleet = { devices: {} };
    const alerts: DeviceAlert[] = [];
    let t = 0;
    const feed = (n: number, p: number) => {
      for (let i = 0; i < n; i++)
        alerts.push(...observe(fleet, verification('sc-1', (t += 10_000), rnd() >= p, null)));
    };
    feed(20_000, 0.004);
    expect(alerts).toEqual([]);
    feed(2_000, 0.2);
    expect(alerts.map((a) => a.kind)).toEqual(['device_degrading']);
    expect(alerts[0]!.payload).toMatchObject({ device: 'sc-1', metric: 'no_read_rate', baseline: 0.01 });
    expect(healthOf(fleet.devices['sc-1']!)).toBe('degrading');
    feed(3_000, 0.004);
    expect(alerts.map((a) => a.kind)).toEqual(['device_degrading', 'device_cleared']);
    expect(alerts[1]!.payload.episodeId).toBe(alerts[0]!.payload.episodeId);
    expect(alerts[0]!.alertId).toBe(`device:sc-1:no_read_rate:${alerts[0]!.payload.since}`);
  });
});

describe('the records an alert names (atRecord, readTo)', () => {
  /** 600 good reads (the baseline, then in control), from t = 1 min on. */
  const healthy = (fleet: Fleet) => {
    for (let i = 1; i <= 600; i++) observe(fleet, verification('sc-2', i * MIN, true, null, `ok${i}`));
  };
  /** No-reads from 601 min on until the alarm; returns it. */
  const degrade = (fleet: Fleet): DeviceAlert => {
    for (let i = 601; i < 2_000; i++) {
      const alerts = observe(fleet, verification('sc-2', i * MIN, false, null, `nr${i}`));
      if (alerts.length > 0) return alerts[0]!;
    }
    throw new Error('no alarm');
  };

  it('read in order: both name the read that tipped the CUSUM over', () => {
    const fleet: Fleet = { devices: {} };
    healthy(fleet);
    const alert = degrade(fleet);
    expect(alert.kind).toBe('device_degrading');
    expect(alert.payload.atRecord).toMatch(/^nr\d+$/);
    expect(alert.payload.readTo).toBe(alert.payload.atRecord);
  });

  it("read out of order: atRecord the read that tipped it, readTo the newest of the device's verifications read", () => {
    const fleet: Fleet = { devices: {} };
    healthy(fleet);
    // Read ahead: a verification received much later (another raw partition the validator had read
    // further), and an event later still: events are not the no-read rate's evidence.
    observe(fleet, verification('sc-2', 5_000 * MIN, true, null, 'ahead'));
    observe(fleet, event('sc-2', 9_000 * MIN, 0, 'event-ahead'));
    const inOrder: Fleet = { devices: {} };
    healthy(inOrder);
    const alert = degrade(fleet);
    expect(alert.payload.atRecord).toMatch(/^nr\d+$/);
    expect(alert.payload.readTo).toBe('ahead');
    // One good read more in the CUSUM: the same tipping read as in order, or the next one.
    const tippedInOrder = Number(degrade(inOrder).payload.atRecord.slice(2));
    expect(Number(alert.payload.atRecord.slice(2)) - tippedInOrder).toBeGreaterThanOrEqual(0);
    expect(Number(alert.payload.atRecord.slice(2)) - tippedInOrder).toBeLessThanOrEqual(1);
    expect(fleet.devices['sc-2']!.open.no_read_rate).toMatchObject({
      atRecord: alert.payload.atRecord,
      readTo: 'ahead',
    });
  });
});

describe('print grade (CUSUM on subgroup means)', () => {
  it('raises when grades slide from A toward D, not before', () => {
    const rnd = prng(5);
    const fleet: Fleet = { devices: {} };
    const alerts: DeviceAlert[] = [];
    let t = 0;
    const healthy = () => (rnd() < 0.72 ? 4 : rnd() < 0.9 ? 3 : 2);
    for (let i = 0; i < 20_000; i++)
      alerts.push(...observe(fleet, verification('pr-1', (t += 5_000), true, healthy())));
    expect(alerts).toEqual([]);
    let fired = -1;
    for (let i = 0; i < 5_000 && fired < 0; i++) {
      const q = i / 5_000;
      const g = Math.max(1, healthy() - Math.floor(3 * q + rnd()));
      if (
        observe(fleet, verification('pr-1', (t += 5_000), true, g)).some((a) => a.kind === 'device_degrading')
      )
        fired = i;
    }
    expect(fired).toBeGreaterThan(0);
    expect(fleet.devices['pr-1']!.open.print_grade).toMatchObject({ metric: 'print_grade' });
  });
});

describe('clock (Theil–Sen slope of the offset to the broker)', () => {
  it('flags a clock that gains 30 s an hour, ignores jitter, a burst, and a replay that rewinds the broker', () => {
    const rnd = prng(3);
    const fleet: Fleet = { devices: {} };
    const alerts: DeviceAlert[] = [];
    // A burst: 500 records within a second say nothing per hour.
    for (let i = 0; i < 500; i++)
      alerts.push(...observe(fleet, event('tr-1', 1_000_000 + i, -3_000_000 * i)));
    let t = 10 * 3600_000;
    for (let i = 0; i < 3_000; i++)
      alerts.push(...observe(fleet, event('tr-1', (t += MIN), -800 + rnd() * 1500)));
    // The same devices replayed from an earlier broker time (a second demo run): a new window.
    t -= 48 * 3600_000;
    for (let i = 0; i < 500; i++)
      alerts.push(...observe(fleet, event('tr-1', (t += MIN), 600_000 + rnd() * 1500)));
    expect(alerts).toEqual([]);
    const began = t;
    for (let i = 0; i < 600; i++) {
      t += MIN;
      alerts.push(
        ...observe(fleet, event('tr-1', t, 600_000 + ((30 * (t - began)) / 3600_000) * 1000 + rnd() * 1500)),
      );
    }
    expect(alerts.map((a) => [a.kind, a.payload.metric])).toEqual([['device_drifting', 'clock_drift']]);
    expect(alerts[0]!.payload.value).toBeGreaterThan(20);
    expect(alerts[0]!.payload.since).toBeGreaterThan(began);
  });
});

describe('clock points read out of order (the stack)', () => {
  it('tells a replay on one stream from a late record of a stream that is behind', () => {
    const fleet: Fleet = { devices: {} };
    const at = (h: number) => h * 3600_000;
    const ev = (h: number, stream: string, offset: number) => ({
      ...event('tr-2', at(h), 0),
      origin: { stream, offset },
    });
    for (let i = 0; i < 40; i++) observe(fleet, ev(10 + i / 20, 'raw:0', i), defaultDetectorSettings, 'v:0');
    const c = fleet.devices['tr-2']!.clock;
    const window = 3600_000;
    // Another stream, three hours behind: not a replay; its point goes where it belongs.
    expect(clockPointStanding(c, 'v:1<raw:1', at(9), 5, window)).toBe('fresh');
    // Older than the history kept (30 hours): too late to say anything.
    expect(clockPointStanding(c, 'v:1<raw:1', at(-20), 5, window)).toBe('late');
    // The same stream going back three hours: a replay.
    expect(clockPointStanding(c, 'v:0<raw:0', at(9), 40, window)).toBe('rewound');
    // The same stream at an offset already read: a redelivery.
    expect(clockPointStanding(c, 'v:0<raw:0', at(11.9), 39, window)).toBe('redelivered');
    expect(clockPointStanding(c, 'v:0<raw:0', at(11.99), 40, window)).toBe('fresh');
    const before = c.points.length;
    observe(fleet, ev(11.5, 'raw:1', 5), defaultDetectorSettings, 'v:1');
    expect(fleet.devices['tr-2']!.clock.points).toHaveLength(before + 1);
    expect(fleet.devices['tr-2']!.clock.points.map((p) => p[0])).toEqual(
      [...fleet.devices['tr-2']!.clock.points.map((p) => p[0])].sort((a, b) => a - b),
    );
    observe(fleet, ev(9, 'raw:0', 40), defaultDetectorSettings, 'v:0');
    expect(fleet.devices['tr-2']!.clock.points).toHaveLength(1);
  });

  it('flags a drifting truck read through two stages of partitions, with no other alarm', () => {
    const outcomes = [11, 23, 37, 41, 59, 71].map((seed) => {
      const { records, report } = generateFloorDemo(
        { events: 10_000, seed, dupRate: 0.03, invalidRate: 0.01 },
        parseFaults('clock_drift:truck-42:60@0.5'),
      );
      const alerts = detectAsTheStackReads(records, seed).map((a) => ({
        kind: a.kind,
        device: a.payload.device,
        metric: a.payload.metric,
        atRecord: a.payload.atRecord,
        readTo: a.payload.readTo,
      }));
      const figures = detectionFigures(
        records,
        report,
        alerts.filter((a) => a.kind !== 'device_cleared'),
      );
      return { seed, missed: figures.missed, falseAlarms: figures.falseAlarms.length };
    });
    expect(outcomes.filter((o) => o.missed > 0 || o.falseAlarms > 0)).toEqual([]);
  }, 600_000);
});

describe('silence read out of order (the stack)', () => {
  const silentOf = (alerts: DeviceAlert[]) =>
    alerts.filter((a) => a.kind === 'device_silent').map((a) => a.payload.device);

  it('raises nothing on healthy devices read through two stages of partitions', () => {
    const alarms = [5, 17, 29, 43].flatMap((seed) => {
      const { records } = generateFloorDemo(
        { events: 10_000, seed, dupRate: 0.03, invalidRate: 0.01 },
        parseFaults('default'),
      );
      return silentOf(detectAsTheStackReads(records, seed)).map((device) => ({ seed, device }));
    });
    expect(alarms).toEqual([]);
  }, 600_000);

  it('raises once for a scanner that stops halfway while its site keeps sending', () => {
    const outcomes = [5, 17].map((seed) => {
      const { records } = generateFloorDemo(
        { events: 10_000, seed, dupRate: 0.03, invalidRate: 0.01 },
        parseFaults('none'),
      );
      const stopped = records.filter(
        (r, i) =>
          i < records.length / 2 ||
          Buffer.isBuffer(r.value) ||
          (r.value as unknown as { scannerId?: string }).scannerId !== 'wms-scanner-7',
      );
      return silentOf(detectAsTheStackReads(stopped, seed));
    });
    expect(outcomes).toEqual([['wms-scanner-7'], ['wms-scanner-7']]);
  }, 600_000);
});

/** A hash of a string into n buckets (the partitioner's role; any fixed hash will do). */
function bucket(text: string, n: number): number {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return Math.abs(h) % n;
}

/** Takes batches of uneven size from each queue in turn, until all are empty. */
function readBatchByBatch<T>(queues: T[][], rnd: () => number, [least, most] = [50, 500]): T[] {
  const order: T[] = [];
  while (queues.some((q) => q.length > 0))
    for (const q of queues) order.push(...q.splice(0, Math.floor(least + rnd() * (most - least))));
  return order;
}

/**
 * The detectors fed as on the stack: the raw records lie in three partitions a topic by their key; the
 * validator reads them batch by batch and writes each to one of three validated partitions keyed
 * otherwise (by message id here); device-health reads those batch by batch. Each event carries
 * its raw partition and offset, as a validated event's lineage does.
 */
function detectAsTheStackReads(
  records: DemoRecord[],
  seed: number,
  settings = defaultDetectorSettings,
  batches: { validator: [number, number]; stage: [number, number] } = {
    validator: [50, 500],
    stage: [50, 500],
  },
): DeviceAlert[] {
  const rnd = prng(seed);
  // Three partitions per raw topic: the TMS ones hold few records, and are read far ahead.
  const topicsRead = [...new Set(records.map((r) => r.topic))];
  const raw: { r: DemoRecord; p: number; offset: number }[][] = topicsRead.flatMap(() => [[], [], []]);
  for (const r of records) {
    const p = topicsRead.indexOf(r.topic) * 3 + bucket(`${r.key}`, 3);
    raw[p]!.push({ r, p, offset: raw[p]!.length });
  }
  const validated: (typeof raw)[number][] = [[], [], []];
  for (const item of readBatchByBatch(raw, rnd, batches.validator)) {
    const id = Buffer.isBuffer(item.r.value) ? '' : String(messageIdOf(item.r.value));
    validated[bucket(id, 3)]!.push(item);
  }
  const fleet: Fleet = { devices: {} };
  const alerts: DeviceAlert[] = [];
  validated.forEach((q, v) => q.forEach((item) => Object.assign(item, { v })));
  for (const item of readBatchByBatch(validated, rnd, batches.stage)) {
    const v = (item as typeof item & { v: number }).v;
    for (const o of demoObservations(item.r, item.r.receivedAt ?? 0)) {
      const origin = o.kind === 'dlq' ? {} : { origin: { stream: `raw:${item.p}`, offset: item.offset } };
      alerts.push(...observe(fleet, { ...o, ...origin }, settings, `validated:${v}`));
    }
  }
  return alerts;
}

describe('silence', () => {
  it('raises when a device stops while its site keeps sending, clears when it is back', () => {
    const fleet: Fleet = { devices: {} };
    const alerts: DeviceAlert[] = [];
    let t = 0;
    const cfg = { ...defaultDetectorSettings, silentMinutes: 30 };
    for (let i = 0; i < 200; i++) {
      alerts.push(...observe(fleet, event('a', (t += MIN), 0), cfg));
      alerts.push(...observe(fleet, event('b', t + 1000, 0), cfg));
    }
    for (let i = 0; i < 60; i++) alerts.push(...observe(fleet, event('a', (t += MIN), 0), cfg));
    expect(alerts.map((a) => [a.kind, a.payload.device])).toEqual([['device_silent', 'b']]);
    alerts.push(...observe(fleet, event('b', (t += MIN), 0), cfg));
    expect(alerts.map((a) => a.kind)).toEqual(['device_silent', 'device_cleared']);
  });
});

describe('the demo floor over many seeds', () => {
  const events = 12_000;
  const seeds = Array.from({ length: 30 }, (_, i) => 1000 + i * 7);

  it('raises no alarm on 30 clean streams', () => {
    const alarms = seeds.flatMap((seed) => {
      const { records } = generateFloorDemo(
        { events, seed, dupRate: 0.05, invalidRate: 0.01 },
        parseFaults('none'),
      );
      return detectOnDemo(records).alerts.map((a) => ({ seed, ...a }));
    });
    expect(alarms).toEqual([]);
  }, 600_000);

  it('flags every injected device fault on 30 faulty streams, after it began, with nothing else', () => {
    const spec =
      'printer_grade:line-2-printer@0.3,scanner_noread:wms-scanner-7@0.4,clock_drift:truck-42:20@0.5';
    const outcomes = seeds.map((seed) => {
      const { records, report } = generateFloorDemo(
        { events, seed, dupRate: 0.05, invalidRate: 0.01 },
        parseFaults(spec),
      );
      const figures = detectionFigures(records, report, detectOnDemo(records).alerts);
      return { seed, missed: figures.missed, falseAlarms: figures.falseAlarms, flagged: figures.flagged };
    });
    expect(outcomes.filter((o) => o.missed > 0 || o.falseAlarms.length > 0)).toEqual([]);
    expect(outcomes.every((o) => o.flagged === 3)).toBe(true);
  }, 600_000);

  it('keeps one open episode per continuing fault when read partition by partition, across a restart', () => {
    const episodes = seeds.slice(0, 12).map((seed) => {
      const { records } = generateFloorDemo(
        { events: 10_000, seed, dupRate: 0.03, invalidRate: 0.01 },
        parseFaults('default'),
      );
      // As the stack reads them: the raw records are keyed by unit or pallet, so one device's records
      // lie in three partitions, which the validator reads in batches of uneven size, one after the
      // other; a device's reads reach device-health out of receive-time order, older ones late.
      const rnd = prng(seed);
      // Each partition is one ordered stream, named as the stage names its inputs.
      const parts: { r: DemoRecord; input: string }[][] = [[], [], []];
      for (const r of records) {
        const p = bucket(`${r.topic}${r.key}`, 3);
        parts[p]!.push({ r, input: `part:${p}` });
      }
      const order = readBatchByBatch(parts, rnd);
      let fleet: Fleet = { devices: {} };
      const count: Record<string, number> = {};
      order.forEach(({ r, input }, i) => {
        // A restart halfway, once every fault is under way: the state as the store saves and loads it (JSON).
        if (i === Math.floor(order.length * 0.6)) fleet = JSON.parse(JSON.stringify(fleet)) as Fleet;
        for (const o of demoObservations(r, r.receivedAt ?? 0))
          for (const a of observe(fleet, o, defaultDetectorSettings, input)) {
            const key = `${a.payload.device} ${a.kind === 'device_cleared' ? 'cleared' : 'raised'}`;
            count[key] = (count[key] ?? 0) + 1;
          }
      });
      return { seed, count };
    });
    // Every fault goes on to the end of the stream: one episode each, never cleared, nothing else.
    const expected = Object.fromEntries(
      parseFaults('default').devices.map((f) => [`${f.device} raised`, 1] as const),
    );
    expect(
      episodes.filter(
        (e) =>
          JSON.stringify(Object.entries(e.count).sort()) !== JSON.stringify(Object.entries(expected).sort()),
      ),
    ).toEqual([]);
  }, 600_000);
});
