/**
 * Device health: per-device windows and the tests that say a device degrades, drifts or fell
 * silent (docs/devices.md). Pure: a fleet's state (plain JSON, stored by ./store.ts) plus one
 * observation gives the new state and the alerts it raised or cleared.
 *
 * - no-read rate: Bernoulli CUSUM (Page 1954; Reynolds & Stoumbos 1999) of the log-likelihood
 *   ratio of "rate p1 = p0 + rise" against the device's baseline p0;
 * - print grade (A=4 .. F=0): one-sided tabular CUSUM on subgroup means, standardised by the
 *   baseline's standard deviation, with a practical floor (the mean must have dropped by a set
 *   number of grades);
 * - clock: Theil–Sen slope (median of pairwise slopes; robust to 29 % outliers) of the offset
 *   "event time − broker receive time" against the receive time over a sliding window, compared
 *   with the device's own first slope, confirmed by consecutive evaluations;
 * - silence: no record for a long time (and many typical gaps) while its site keeps sending.
 * Baselines are learnt per device from its first window.
 */

export interface DetectorSettings {
  baselineReads: number;
  noReadRise: number;
  noReadFloor: number;
  gradeDrop: number;
  gradeSubgroup: number;
  cusumH: number;
  driftSecondsPerHour: number;
  clockWindowMinutes: number;
  clockMinSpanMinutes: number;
  clockConfirm: number;
  silentMinutes: number;
}

export const defaultDetectorSettings: DetectorSettings = {
  baselineReads: 500,
  noReadRise: 0.05,
  noReadFloor: 0.01,
  gradeDrop: 0.5,
  gradeSubgroup: 25,
  cusumH: 12,
  driftSecondsPerHour: 10,
  clockWindowMinutes: 60,
  clockMinSpanMinutes: 30,
  clockConfirm: 3,
  silentMinutes: 60,
};

export type Metric = 'no_read_rate' | 'print_grade' | 'clock_drift' | 'silence';
export type AlertKind = 'device_degrading' | 'device_drifting' | 'device_silent' | 'device_cleared';
export type Health = 'ok' | 'degrading' | 'drifting' | 'silent';

const kindOf: Record<Metric, Exclude<AlertKind, 'device_cleared'>> = {
  no_read_rate: 'device_degrading',
  print_grade: 'device_degrading',
  clock_drift: 'device_drifting',
  silence: 'device_silent',
};

export type Observation =
  | {
      kind: 'verification';
      device: string;
      site: string;
      receivedAt: number;
      id: string;
      read: boolean;
      grade: number | null;
      /** The raw record it came from (a signal's sourceRef), as for an event. */
      origin?: { stream: string; offset: number };
    }
  | {
      kind: 'event';
      device: string;
      site: string;
      receivedAt: number;
      id: string;
      eventTime: number;
      /**
       * The raw record it came from (`topic:partition` and offset; a validated event's lineage).
       * Absent: the observations form one ordered stream (the simulator, the unit tests).
       */
      origin?: { stream: string; offset: number };
    }
  | { kind: 'dlq'; device: string; id: string };

export interface Episode {
  episodeId: string;
  metric: Metric;
  kind: Exclude<AlertKind, 'device_cleared'>;
  site: string;
  value: number;
  baseline: number;
  /** Broker time (epoch ms) the episode began: the CUSUM's change point, the first confirming window. */
  since: number;
  /** Source message id of the record whose observation tipped the statistic over. */
  atRecord: string;
  /**
   * Source message id of the newest record (by broker time) of the metric's evidence read when it
   * fired (see DeviceState.newest); absent in episodes saved before.
   */
  readTo?: string;
  raisedAt: number;
}

/** A raised or cleared alert, as ut.alerts.v1 carries it (payload in `payload`). */
export interface DeviceAlert {
  alertId: string;
  kind: AlertKind;
  severity: 'warning' | 'critical' | 'info';
  message: string;
  createdAt: number;
  payload: {
    device: string;
    site: string;
    metric: Metric;
    value: number;
    baseline: number;
    since: number;
    episodeId: string;
    /** The record whose observation tipped the statistic over (a clear: the one that completed the recovery). */
    atRecord: string;
    /**
     * The newest record (by broker time) of the metric's evidence read when it fired: read in order,
     * atRecord itself; read out of order (the stack), possibly a later one (docs/devices.md).
     */
    readTo: string;
  };
}

/** A record read from a device: its broker receive time and its source message id. */
export interface RecordMark {
  at: number;
  id: string;
}

export interface DeviceState {
  device: string;
  site: string;
  firstSeen: number;
  lastSeen: number;
  /**
   * The newest record (by broker time) of each kind of evidence read from the device: an alert's
   * `readTo` (a no-read or grade alert: the newest verification; a clock alert: the newest event).
   * Only the metric's own evidence: verifications and events come on different topics. Absent in
   * states saved before (then `lastRecord` stands in).
   */
  newest?: { verification?: RecordMark; event?: RecordMark };
  /** The newest record of any kind (by broker time). */
  lastRecord: string;
  counts: { events: number; verifications: number; noReads: number; graded: number; dlq: number };
  noRead: {
    learn: { n: number; k: number };
    p0: number | null;
    s: number;
    runStart: number;
    /** The block being counted (every read), for the listing's rate. */
    recent: { n: number; k: number };
    /**
     * While an episode is open: the reads received after it was raised, in blocks, and how many
     * blocks in a row were back within the baseline band (absent in states saved before).
     */
    recovery?: { n: number; k: number; good: number };
    /** The last block's rate, for the listing. */
    rate: number | null;
  };
  grade: {
    learn: { n: number; sum: number; sumSq: number };
    mean0: number | null;
    sd0: number | null;
    sub: { n: number; sum: number };
    s: number;
    runStart: number;
    lastMeans: number[];
    /** While an episode is open: the subgroup of grades received after it was raised, and the good subgroups in a row. */
    recovery?: { n: number; sum: number; good: number };
  };
  clock: {
    /** [receivedAt hours, offset seconds], oldest first. */
    points: [number, number][];
    sinceEval: number;
    slope0: number | null;
    offset0: number | null;
    slope: number | null;
    offset: number | null;
    /** Consecutive evaluations over the threshold, and under half of it. */
    streak: number;
    calm: number;
    streakSince: number;
    /**
     * Per ordered stream (input partition < raw partition): the newest broker time and the raw
     * offset read from it. Absent in states saved before.
     */
    streams?: Record<string, { at: number; offset: number }>;
  };
  gaps: { n: number; typicalMs: number | null };
  open: Partial<Record<Metric, Episode>>;
}

export interface Fleet {
  devices: Record<string, DeviceState>;
  /**
   * The latest broker time read from each ordered stream (an input partition, and the raw
   * partition its records came from). Their minimum is the watermark: the broker time up to which
   * every stream has been read. Broker time is in order only within a stream (see `clock`), not
   * within an input partition (it holds records of several raw partitions, written batch by batch):
   * silence is judged against this watermark, never against the newest record of a partition.
   */
  marks?: Record<string, number>;
}

/** The clock history kept per device (sorted by receive time; see `clock`). */
const MAX_CLOCK_POINTS = 1200;
const CLOCK_HISTORY_HOURS = 30;
/** An offset this far from the window's at once is a jump (a replay, a clock set by hand), not a drift. */
const CLOCK_JUMP_SECONDS = 600;
const CLOCK_SAMPLE = 60;
const CLOCK_EVAL_EVERY = 10;
const GRADE_RECENT = 4;
const RECOVERY_BLOCK = 200;
/**
 * Hysteresis: an episode clears only after this many blocks (no-read rate) or subgroups (grade) in
 * a row back within the baseline band, each of records received after the alarm.
 */
const RECOVERY_BLOCKS = 3;
const GRADE_RECOVERY_SUBGROUPS = 12;
const HOUR = 3600_000;

export function newDevice(device: string, site: string, at: number): DeviceState {
  return {
    device,
    site,
    firstSeen: at,
    lastSeen: at,
    lastRecord: '',
    counts: { events: 0, verifications: 0, noReads: 0, graded: 0, dlq: 0 },
    noRead: { learn: { n: 0, k: 0 }, p0: null, s: 0, runStart: at, recent: { n: 0, k: 0 }, rate: null },
    grade: {
      learn: { n: 0, sum: 0, sumSq: 0 },
      mean0: null,
      sd0: null,
      sub: { n: 0, sum: 0 },
      s: 0,
      runStart: at,
      lastMeans: [],
    },
    clock: {
      points: [],
      sinceEval: 0,
      slope0: null,
      offset0: null,
      slope: null,
      offset: null,
      streak: 0,
      calm: 0,
      streakSince: at,
    },
    gaps: { n: 0, typicalMs: null },
    open: {},
  };
}

/** The device's health from its open episodes: silent before drifting before degrading. */
export function healthOf(d: DeviceState): Health {
  if (d.open.silence) return 'silent';
  if (d.open.clock_drift) return 'drifting';
  if (d.open.no_read_rate || d.open.print_grade) return 'degrading';
  return 'ok';
}

export const episodeIdOf = (device: string, metric: Metric, since: number) =>
  `device:${device}:${metric}:${since}`;

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

/** The newest record of a kind of evidence read from the device (by broker time). */
function newestOf(d: DeviceState, kind: 'verification' | 'event'): string {
  return d.newest?.[kind]?.id ?? d.lastRecord;
}

function raise(
  d: DeviceState,
  metric: Metric,
  {
    value,
    baseline,
    since,
    atRecord,
    readTo,
    at,
  }: { value: number; baseline: number; since: number; atRecord: string; readTo: string; at: number },
  describe: string,
): DeviceAlert {
  const episodeId = episodeIdOf(d.device, metric, since);
  const kind = kindOf[metric];
  d.open[metric] = {
    episodeId,
    metric,
    kind,
    site: d.site,
    value: round(value),
    baseline: round(baseline),
    since,
    atRecord,
    readTo,
    raisedAt: at,
  };
  return {
    alertId: episodeId,
    kind,
    severity: metric === 'silence' ? 'critical' : 'warning',
    message: `${d.device} at ${d.site}: ${describe}`,
    createdAt: at,
    payload: {
      device: d.device,
      site: d.site,
      metric,
      value: round(value),
      baseline: round(baseline),
      since,
      episodeId,
      atRecord,
      readTo,
    },
  };
}

function clear(
  d: DeviceState,
  metric: Metric,
  value: number,
  atRecord: string,
  at: number,
  describe: string,
): DeviceAlert {
  const e = d.open[metric]!;
  delete d.open[metric];
  return {
    alertId: `${e.episodeId}:cleared`,
    kind: 'device_cleared',
    severity: 'info',
    message: `${d.device} at ${e.site}: ${describe}`,
    createdAt: at,
    payload: {
      device: d.device,
      site: e.site,
      metric,
      value: round(value),
      baseline: e.baseline,
      since: e.since,
      episodeId: e.episodeId,
      atRecord,
      readTo: atRecord,
    },
  };
}

/** Median of pairwise slopes (Theil 1950, Sen 1968). */
export function theilSen(points: readonly [number, number][]): number {
  const n = points.length;
  const slopes = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const [xi, yi] = points[i]!;
    for (let j = i + 1; j < n; j++) {
      const dx = points[j]![0] - xi;
      if (Math.abs(dx) > 1e-9) slopes[k++] = (points[j]![1] - yi) / dx;
    }
  }
  return median(slopes.subarray(0, k));
}

/** The median (a typed array sorts numerically, and fast). */
export function median(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function noRead(
  d: DeviceState,
  read: boolean,
  o: { at: number; id: string },
  cfg: DetectorSettings,
): DeviceAlert[] {
  const nr = d.noRead;
  if (nr.p0 === null) {
    nr.learn.n++;
    if (!read) nr.learn.k++;
    if (nr.learn.n >= cfg.baselineReads) nr.p0 = Math.max(cfg.noReadFloor, nr.learn.k / nr.learn.n);
    return [];
  }
  const p0 = nr.p0;
  const p1 = Math.min(0.99, p0 + cfg.noReadRise);
  const step = read ? Math.log((1 - p1) / (1 - p0)) : Math.log(p1 / p0);
  if (nr.s === 0) nr.runStart = o.at;
  nr.s = Math.max(0, nr.s + step);
  nr.recent.n++;
  if (!read) nr.recent.k++;
  const out: DeviceAlert[] = [];
  if (nr.recent.n >= RECOVERY_BLOCK) {
    nr.rate = nr.recent.k / nr.recent.n;
    nr.recent = { n: 0, k: 0 };
  }
  const open = d.open.no_read_rate;
  // Recovery is judged only on reads the broker received after the alarm: the stage reads its
  // inputs partition by partition, so older reads (from before the fault) still arrive late and
  // must not clear an episode whose fault goes on. Never on the CUSUM, which is clamped while open.
  if (open && o.at > open.raisedAt) {
    const r = (nr.recovery ??= { n: 0, k: 0, good: 0 });
    r.n++;
    if (!read) r.k++;
    if (r.n >= RECOVERY_BLOCK) {
      const rate = r.k / r.n;
      r.good = rate <= p0 + cfg.noReadRise / 4 ? r.good + 1 : 0;
      nr.recovery = { n: 0, k: 0, good: r.good };
      if (r.good >= RECOVERY_BLOCKS) {
        out.push(
          clear(d, 'no_read_rate', rate, o.id, o.at, `no-read rate back to ${(rate * 100).toFixed(1)} %`),
        );
        nr.s = 0;
        delete nr.recovery;
      }
    }
  }
  if (nr.s > cfg.cusumH && !d.open.no_read_rate) {
    const rate = nr.recent.n > 20 ? nr.recent.k / nr.recent.n : (nr.rate ?? p1);
    out.push(
      raise(
        d,
        'no_read_rate',
        {
          value: rate,
          baseline: p0,
          since: nr.runStart,
          atRecord: o.id,
          readTo: newestOf(d, 'verification'),
          at: d.lastSeen,
        },
        `no-read rate ${(rate * 100).toFixed(1)} % against a baseline of ${(p0 * 100).toFixed(1)} % (CUSUM)`,
      ),
    );
    nr.recovery = { n: 0, k: 0, good: 0 };
  }
  if (d.open.no_read_rate) nr.s = Math.min(nr.s, cfg.cusumH); // keeps the statistic bounded while the episode is open
  return out;
}

function grade(
  d: DeviceState,
  value: number,
  o: { at: number; id: string },
  cfg: DetectorSettings,
): DeviceAlert[] {
  const g = d.grade;
  if (g.mean0 === null) {
    g.learn.n++;
    g.learn.sum += value;
    g.learn.sumSq += value * value;
    if (g.learn.n >= cfg.baselineReads) {
      g.mean0 = g.learn.sum / g.learn.n;
      const variance = g.learn.sumSq / g.learn.n - g.mean0 * g.mean0;
      // A floor: a baseline of all A's has no spread, and any B would look like a fault.
      g.sd0 = Math.max(0.25, Math.sqrt(Math.max(0, variance)));
    }
    return [];
  }
  const out: DeviceAlert[] = [];
  const open = d.open.print_grade;
  // As for the no-read rate: only grades received after the alarm, in subgroups of their own, and
  // a sustained run of them back near the baseline, clear the episode.
  if (open && o.at > open.raisedAt) {
    const r = (g.recovery ??= { n: 0, sum: 0, good: 0 });
    r.n++;
    r.sum += value;
    if (r.n >= cfg.gradeSubgroup) {
      const mean = r.sum / r.n;
      r.good = mean >= g.mean0 - cfg.gradeDrop / 2 ? r.good + 1 : 0;
      g.recovery = { n: 0, sum: 0, good: r.good };
      if (r.good >= GRADE_RECOVERY_SUBGROUPS) {
        out.push(clear(d, 'print_grade', mean, o.id, o.at, `print grade back to ${mean.toFixed(2)}`));
        g.s = 0;
        delete g.recovery;
      }
    }
  }
  if (g.sub.n === 0 && g.s === 0) g.runStart = o.at;
  g.sub.n++;
  g.sub.sum += value;
  if (g.sub.n < cfg.gradeSubgroup) return out;
  const mean = g.sub.sum / g.sub.n;
  g.sub = { n: 0, sum: 0 };
  g.lastMeans = [...g.lastMeans, mean].slice(-GRADE_RECENT);
  const z = (g.mean0 - mean) / (g.sd0! / Math.sqrt(cfg.gradeSubgroup));
  g.s = Math.max(0, g.s + z - 1); // allowance k = 1 standard error of a subgroup mean
  const recent = g.lastMeans.reduce((a, b) => a + b, 0) / g.lastMeans.length;
  if (!d.open.print_grade && g.s > cfg.cusumH && recent <= g.mean0 - cfg.gradeDrop) {
    out.push(
      raise(
        d,
        'print_grade',
        {
          value: recent,
          baseline: g.mean0,
          since: g.runStart,
          atRecord: o.id,
          readTo: newestOf(d, 'verification'),
          at: d.lastSeen,
        },
        `print grade ${recent.toFixed(2)} against a baseline of ${g.mean0.toFixed(2)} (A=4 .. F=0; CUSUM)`,
      ),
    );
    g.recovery = { n: 0, sum: 0, good: 0 };
  }
  if (d.open.print_grade) g.s = Math.min(g.s, cfg.cusumH);
  return out;
}

/**
 * Where a clock point stands against what was read before (see `clock`): `redelivered` (at or
 * before a raw offset already read on its stream), `rewound` (its stream's broker time went back
 * by more than a window: a replay), `late` (older than the history kept), or `fresh`.
 */
export function clockPointStanding(
  c: DeviceState['clock'],
  stream: string,
  at: number,
  offset: number | null,
  windowMs: number,
): 'redelivered' | 'rewound' | 'late' | 'fresh' {
  const seen = c.streams?.[stream];
  if (seen && offset !== null && offset <= seen.offset) return 'redelivered';
  if (seen && at < seen.at - windowMs) return 'rewound';
  const newest = c.points[c.points.length - 1];
  if (newest && at < (newest[0] - CLOCK_HISTORY_HOURS) * HOUR) return 'late';
  return 'fresh';
}

function restartClockWindow(c: DeviceState['clock']): void {
  c.points = [];
  c.offset = null;
  c.streak = 0;
  c.calm = 0;
}

/** The points (sorted by receive time) received in the window that ends at x: (x − window, x]. */
function windowEndingAt(points: [number, number][], x: number, window: number): [number, number][] {
  let hi = points.length;
  while (hi > 0 && points[hi - 1]![0] > x) hi--;
  let lo = hi;
  while (lo > 0 && points[lo - 1]![0] > x - window) lo--;
  return points.slice(lo, hi);
}

/**
 * The clock test. A device's events reach the stage out of broker-time order: the raw topics are
 * keyed by unit or pallet, so its records lie in several raw partitions, which the validator reads
 * batch by batch and writes to validated partitions keyed otherwise, which this stage reads batch
 * by batch again; one stream can run the whole day ahead of another (a raw partition of few
 * records, a truck's, is read whole at once). Order holds only within one *stream*: the records of
 * one raw partition read from one validated partition (`stream`, with the raw offset). So:
 * - the device's points are kept sorted by receive time (CLOCK_HISTORY_HOURS of them), a late one
 *   inserted where it belongs, and each test looks at the window that ends at the point just read,
 *   with every point read so far in it: read in order, that is the sliding window of the newest
 *   points; read out of order, each stream's points are tested against what is known around them;
 * - a record more than a window before the newest its own stream gave is a replay (the broker's
 *   time really went back, e.g. a second demo run): the history starts afresh;
 * - a record at or before a raw offset already read on its stream is a redelivery: skipped.
 */
function clock(
  d: DeviceState,
  o: { at: number; id: string; eventTime: number; stream: string; offset: number | null },
  cfg: DetectorSettings,
): DeviceAlert[] {
  const c = d.clock;
  const x = o.at / HOUR;
  const y = (o.eventTime - o.at) / 1000;
  const window = cfg.clockWindowMinutes / 60;
  const standing = clockPointStanding(c, o.stream, o.at, o.offset, window * HOUR);
  if (standing === 'redelivered' || standing === 'late') return [];
  const streams = (c.streams ??= {});
  const newestOfStream = standing === 'rewound' ? o.at : Math.max(o.at, streams[o.stream]?.at ?? o.at);
  streams[o.stream] = { at: newestOfStream, offset: o.offset ?? streams[o.stream]?.offset ?? -1 };
  // The broker's time went back on this stream: a replay; the history starts afresh, the baseline stays.
  if (standing === 'rewound') restartClockWindow(c);
  // An offset minutes away from the window before it: a clock that was set by hand, not a drift (a
  // drift moves the offset seconds per hour); what came before is dropped, the baseline stays.
  const before = windowEndingAt(c.points, x, window);
  if (before.length > 0 && Math.abs(y - median(before.map((p) => p[1]))) > CLOCK_JUMP_SECONDS) {
    c.points = c.points.filter((p) => p[0] > x);
    c.streak = 0;
    c.calm = 0;
  }
  let i = c.points.length;
  while (i > 0 && c.points[i - 1]![0] > x) i--;
  c.points.splice(i, 0, [x, y]);
  const newest = c.points[c.points.length - 1]![0];
  let drop = 0;
  while (drop < c.points.length && c.points[drop]![0] < newest - CLOCK_HISTORY_HOURS) drop++;
  if (c.points.length - drop > MAX_CLOCK_POINTS) drop = c.points.length - MAX_CLOCK_POINTS;
  if (drop > 0) c.points.splice(0, drop);
  if (++c.sinceEval < CLOCK_EVAL_EVERY) return [];
  const win = windowEndingAt(c.points, x, window);
  c.sinceEval = 0;
  const span = win.length > 0 ? (win[win.length - 1]![0] - win[0]![0]) * 60 : 0;
  // Minimum evidence: a slope in seconds per hour needs more than a burst of records.
  if (win.length < 12 || span < cfg.clockMinSpanMinutes) return [];
  const step = win.length / CLOCK_SAMPLE;
  const sample = step <= 1 ? win : Array.from({ length: CLOCK_SAMPLE }, (_, i) => win[Math.floor(i * step)]!);
  c.slope = theilSen(sample);
  c.offset = median(sample.map((p) => p[1]));
  if (c.slope0 === null) {
    c.slope0 = c.slope;
    c.offset0 = c.offset;
    return [];
  }
  const drift = c.slope - c.slope0;
  const out: DeviceAlert[] = [];
  if (Math.abs(drift) >= cfg.driftSecondsPerHour) {
    if (c.streak === 0) c.streakSince = o.at;
    c.streak++;
    c.calm = 0;
  } else {
    c.streak = 0;
    // While an episode is open, only a window wholly received after the alarm may show the clock
    // steady again: late records from before it (the stage reads partition by partition) rewind
    // the window to a time the fault had not yet begun.
    const open = d.open.clock_drift;
    const afterAlarm = !open || win[0]![0] * HOUR > open.raisedAt;
    c.calm = afterAlarm && Math.abs(drift) < cfg.driftSecondsPerHour / 2 ? c.calm + 1 : 0;
  }
  if (!d.open.clock_drift && c.streak >= cfg.clockConfirm) {
    out.push(
      raise(
        d,
        'clock_drift',
        {
          value: drift,
          baseline: c.slope0,
          since: c.streakSince,
          atRecord: o.id,
          readTo: newestOf(d, 'event'),
          at: d.lastSeen,
        },
        `clock drifts ${drift.toFixed(1)} s per hour against the broker (Theil–Sen over ${cfg.clockWindowMinutes} min)`,
      ),
    );
  } else if (d.open.clock_drift && c.calm >= cfg.clockConfirm) {
    out.push(
      clear(d, 'clock_drift', drift, o.id, o.at, `clock steady again (${drift.toFixed(1)} s per hour)`),
    );
  }
  return out;
}

/** Devices that fell silent while `site` keeps sending (checked on every record of the site). */
function silence(
  fleet: Fleet,
  site: string,
  watermark: number,
  id: string,
  cfg: DetectorSettings,
): DeviceAlert[] {
  const out: DeviceAlert[] = [];
  if (cfg.silentMinutes <= 0) return out; // off
  const at = watermark;
  for (const d of Object.values(fleet.devices)) {
    if (d.site !== site || d.open.silence || d.gaps.typicalMs === null || d.gaps.n < 50) continue;
    const quiet = at - d.lastSeen;
    if (quiet > Math.max(cfg.silentMinutes * 60_000, 20 * d.gaps.typicalMs)) {
      out.push(
        raise(
          d,
          'silence',
          {
            value: quiet / 60_000,
            baseline: d.gaps.typicalMs / 60_000,
            since: d.lastSeen,
            atRecord: id,
            readTo: id,
            at,
          },
          `nothing for ${(quiet / 60_000).toFixed(0)} min while its site keeps sending (typically every ${(d.gaps.typicalMs / 60_000).toFixed(1)} min)`,
        ),
      );
    }
  }
  return out;
}

/**
 * One observation into the fleet (mutates it); returns the alerts raised or cleared. `input`
 * names where it was read (topic:partition), for the watermark.
 */
export function observe(
  fleet: Fleet,
  o: Observation,
  cfg: DetectorSettings = defaultDetectorSettings,
  input = 'stream',
): DeviceAlert[] {
  if (o.kind === 'dlq') {
    const d = fleet.devices[o.device];
    if (d) d.counts.dlq++;
    return [];
  }
  const at = o.receivedAt;
  const d = (fleet.devices[o.device] ??= newDevice(o.device, o.site, at));
  const out: DeviceAlert[] = [];
  d.site = o.site;
  if (at > d.lastSeen) {
    const gap = at - d.lastSeen;
    d.gaps.typicalMs = d.gaps.typicalMs === null ? gap : d.gaps.typicalMs * 0.95 + gap * 0.05;
    d.gaps.n++;
    d.lastSeen = at;
  }
  if (at >= d.lastSeen) d.lastRecord = o.id;
  const newest = (d.newest ??= {});
  const mark = newest[o.kind];
  if (!mark || at >= mark.at) newest[o.kind] = { at, id: o.id };
  // One ordered stream: the input partition and, when known, the raw partition the record came from.
  const stream = o.origin ? `${input}<${o.origin.stream}` : input;
  if (d.open.silence) out.push(clear(d, 'silence', 0, o.id, at, 'sending again'));
  if (o.kind === 'verification') {
    d.counts.verifications++;
    if (!o.read) d.counts.noReads++;
    out.push(...noRead(d, o.read, { at, id: o.id }, cfg));
    if (o.read && o.grade !== null) {
      d.counts.graded++;
      out.push(...grade(d, o.grade, { at, id: o.id }, cfg));
    }
  } else {
    d.counts.events++;
    const offset = o.origin?.offset ?? null;
    out.push(...clock(d, { at, id: o.id, eventTime: o.eventTime, stream, offset }, cfg));
  }
  const marks = (fleet.marks ??= {});
  marks[stream] = Math.max(marks[stream] ?? at, at);
  out.push(...silence(fleet, o.site, Math.min(...Object.values(marks)), o.id, cfg));
  return out;
}
