/**
 * Learning from incidents (docs/exceptions.md): where incidents concentrate, and for each device the
 * risk of an incident in the next N hours. Pure functions over case rows.
 *
 * The model is a logistic regression, written out here because it is small and must be explainable
 * to a quality engineer. At a time t, for a device (N h = the window):
 *   x1 = log(1 + incidents in the last N h), x2 = log(1 + incidents in its last 7 windows of work),
 *   x3 = its long-run rate so far (incidents per window: the baseline's score),
 *   x4 = 1 when it has an open health alert at t (libs/devices), x5 = log(1 + how far the alert's
 *   measure was from its baseline when raised, relative to the baseline), x6 = log(1 + how many
 *   windows the alert has been open), x7 = log(1 + events it recorded in the last N h),
 *   x8 = log(1 + its incidents per 1,000 recorded events over its last 7 windows of work),
 *   and its condition as the device-health stage saw it (its history per bucket of broker time,
 *   only the buckets that had ended by t): x9 = log(1 + the D/F share, in %, of its latest 100
 *   graded reads), x10 = log(1 + the no-read share, in %, of its latest 100 verifications),
 *   x11 = log(1 + its D/F grades and no-reads in its last N h of reading);
 *   label = at least one incident in [t, t + N).
 * x2 and x8 look at the device's last windows of work, not the last 7N h: a stopped line does not
 * mend, and its condition when it starts again is what it was when it stopped.
 * Exposure: a device that recorded no event in the last N h (a line that stopped printing) is taken
 * to stay idle for the next N h and to make no incident: its risk is 0, and the regression is fitted
 * on the windows where the device was working (a hurdle model). Its `riskIfWorking` is the model's
 * score with x7 as in its usual window of work. When no activity is given at all, every device
 * counts as working (and x7, x8 are 0).
 * The window is chosen from the history when not given (chooseWindow): the longest that leaves
 * enough incidents after the split to judge. It is judged honestly: trained on the earlier 70 % of
 * the history, tested on the later 30 %, against the naive baseline (each device's past incident
 * rate); it beats it only when a paired bootstrap over the test windows puts the 5th percentile of
 * its AUC gain above 0, or it says so and the risks are ranked by the baseline.
 * The printed order puts every device with an open health alert first (then by risk): a fault that
 * makes no cases (a drifting clock) is still a failure point, and the case history cannot show it.
 */

import { prng } from '../demo';
import { UsageError } from '../errors';

export interface IncidentRow {
  caseId: string;
  kind: string;
  deviceId: string | null;
  lineId: string | null;
  site: string | null;
  gtin: string | null;
  operatorId: string | null;
  /** Epoch ms: when it happened by the source's clock (the case's occurred_at). */
  occurredAt: number;
  /**
   * Epoch ms: the broker time the record that showed it was received (the case's detail), when
   * known. The model's time axis: one clock for every source, where a device's own clock can drift
   * and a DLQ entry carries the time it was refused.
   */
  receivedAt?: number | null;
  /** A device alert's measure, when the case came from one. */
  metric?: { name: string; value: number | null; baseline: number | null } | null;
}

const HOUR = 3600_000;

/**
 * A device-health alert episode (ut.device_alerts): the health history known at each time. Only
 * the episodes are: ut.device_health holds each device's latest state alone, so its measures at a
 * past window's start are unknown and would leak the future into training.
 */
export interface HealthEpisode {
  device: string;
  metric: string;
  value: number;
  baseline: number;
  /** Epoch ms on the broker axis (the alert's createdAt). */
  raisedAt: number;
  clearedAt: number | null;
}

/**
 * How many events a device recorded in a span of broker time (the journey's origin_ts): its
 * activity, known at each time without leaking the future (a span counts only once it has ended).
 */
export interface Activity {
  device: string;
  /** Epoch ms, the span's start (inclusive) and end (exclusive). */
  from: number;
  to: number;
  count: number;
}

/**
 * What the device-health stage saw of a device in a span of broker time (ut.device_health_history):
 * its condition, known at a time once the span has ended. Its latest state (ut.device_health) is
 * not used: for a past window it would leak the future.
 */
export interface ConditionBucket {
  device: string;
  /** Epoch ms, the span's start (inclusive) and end (exclusive). */
  from: number;
  to: number;
  verifications: number;
  noReads: number;
  graded: number;
  /** Graded reads at D or F. */
  lowGrades: number;
}

/** The first index of a sorted list whose key is at least `x`. */
function lowerBound<T>(list: readonly T[], x: number, key: (t: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(list[mid]!) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Events a device recorded in [from, to), from the spans inside it (`activity` sorted by `from`). */
export function recordedIn(activity: readonly Activity[], from: number, to: number): number {
  let n = 0;
  for (let i = lowerBound(activity, from, (a) => a.from); i < activity.length && activity[i]!.from < to; i++)
    if (activity[i]!.to <= to) n += activity[i]!.count;
  return n;
}

/**
 * Events a device recorded in the N h before t, from the spans that ended by t: its activity, known
 * at each time without leaking the future (a span counts only once it has ended).
 */
export const recordedBefore = (activity: readonly Activity[], t: number, windowH: number): number =>
  recordedIn(activity, t - windowH * HOUR, t);

/** How many reads the condition shares look back over at least (the device's latest reads). */
const LATEST_READS = 100;

/**
 * x9–x11: the device's condition as known at t, from its buckets (sorted by `from`) that had ended
 * by t: the D/F share (in %) of its latest 100 graded reads and the no-read share (in %) of its
 * latest 100 verifications (whole buckets, going back from t until that many, or all there are),
 * and its D/F grades and no-reads in its last N h of reading (the N h before t when it works). A
 * bucket still open at t is not known yet.
 */
export function conditionFeatures(buckets: readonly ConditionBucket[], t: number, windowH: number): number[] {
  // The buckets that had ended by t (to ≤ t): sorted by start, and of one length, so by end too.
  let known = lowerBound(buckets, t, (b) => b.to);
  while (known < buckets.length && buckets[known]!.to <= t) known++;
  let graded = 0;
  let low = 0;
  let verifications = 0;
  let noReads = 0;
  for (let i = known - 1; i >= 0 && (graded < LATEST_READS || verifications < LATEST_READS); i--) {
    const b = buckets[i]!;
    if (graded < LATEST_READS) {
      graded += b.graded;
      low += b.lowGrades;
    }
    if (verifications < LATEST_READS) {
      verifications += b.verifications;
      noReads += b.noReads;
    }
  }
  // Its last N h of reading: up to its latest bucket with reads (a stopped line's condition is what
  // it was when it stopped, as for x2 and x8; for a working device, the N h before t).
  let last = known - 1;
  while (last >= 0 && buckets[last]!.verifications === 0) last--;
  let recentBad = 0;
  for (let i = last; i >= 0 && buckets[i]!.from >= buckets[last]!.to - windowH * HOUR; i--)
    recentBad += buckets[i]!.lowGrades + buckets[i]!.noReads;
  return [
    Math.log1p(graded ? (100 * low) / graded : 0),
    Math.log1p(verifications ? (100 * noReads) / verifications : 0),
    Math.log1p(recentBad),
  ];
}

/** Incidents (sorted times) in [from, to). */
const incidentsIn = (times: readonly number[], from: number, to: number) =>
  lowerBound(times, to, (x) => x) - lowerBound(times, from, (x) => x);

/** How many of the device's last windows of work its condition features look at. */
const WORKING_WINDOWS = 7;

/**
 * The device's incidents and records over its last 7 windows of work before t (windows on t's grid
 * in which it recorded something; every window when no activity is known). A stopped line does not
 * mend: its condition is what it was when it last ran, however long ago.
 */
export function lastWorking(
  times: readonly number[],
  t: number,
  start: number,
  windowH: number,
  activity: readonly Activity[] | null,
): { incidents: number; records: number } {
  const w = windowH * HOUR;
  let incidents = 0;
  let records = 0;
  let found = 0;
  for (let to = t; to - w >= start - w && found < WORKING_WINDOWS; to -= w) {
    const n = activity ? recordedIn(activity, to - w, to) : 1;
    if (n === 0) continue;
    found++;
    records += n;
    incidents += incidentsIn(times, to - w, to);
  }
  return { incidents, records };
}

/** The alert episodes open at t: raised before it, not cleared by then. */
export function openAt(episodes: readonly HealthEpisode[], t: number): HealthEpisode[] {
  return episodes.filter((e) => e.raisedAt < t && (e.clearedAt === null || e.clearedAt >= t));
}

/** How far an episode's measure was from its baseline when raised, relative to the baseline. */
const deviationOf = (e: HealthEpisode) =>
  Math.abs(e.value - e.baseline) / Math.max(Math.abs(e.baseline), 0.001);

/** x4, x5: whether an alert is open at t, and how far off its measure was when raised. */
export function healthFeatures(episodes: readonly HealthEpisode[], t: number): number[] {
  const open = openAt(episodes, t);
  const deviation = Math.max(0, ...open.map(deviationOf));
  return [open.length > 0 ? 1 : 0, Math.log1p(Math.min(deviation, 1000))];
}

export interface Pattern {
  dimension: 'device' | 'line' | 'site' | 'product' | 'shift' | 'operator';
  value: string;
  incidents: number;
  share: number;
  /** Share over the share an even spread over the dimension's values would give. */
  lift: number;
}

/** Shifts by UTC hour: early 06–14, late 14–22, night 22–06. */
export function shiftOf(ms: number): string {
  const h = new Date(ms).getUTCHours();
  return h >= 6 && h < 14 ? 'early' : h >= 14 && h < 22 ? 'late' : 'night';
}

/** Values of each dimension that hold a clearly uneven share of the incidents (at least 3, lift ≥ 1.5). */
export function patterns(rows: readonly IncidentRow[], { minIncidents = 3, minLift = 1.5 } = {}): Pattern[] {
  const dims: [Pattern['dimension'], (r: IncidentRow) => string | null][] = [
    ['device', (r) => r.deviceId],
    ['line', (r) => r.lineId],
    ['site', (r) => r.site],
    ['product', (r) => r.gtin],
    ['shift', (r) => shiftOf(r.occurredAt)],
    ['operator', (r) => r.operatorId],
  ];
  const out: Pattern[] = [];
  for (const [dimension, of] of dims) {
    const counts = new Map<string, number>();
    for (const r of rows) {
      const v = of(r);
      if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    if (counts.size < 2 || total === 0) continue;
    for (const [value, n] of counts) {
      const share = n / total;
      const lift = share * counts.size;
      if (n >= minIncidents && lift >= minLift) out.push({ dimension, value, incidents: n, share, lift });
    }
  }
  return out.sort((a, b) => b.lift - a.lift || b.incidents - a.incidents);
}

/**
 * Features of one device at time t from its incident times (sorted), its health episodes, its
 * activity (null: unknown) and its condition buckets (sorted). Each is known at t: incidents and
 * spans before it, alerts raised before it, buckets ended by it. `records` replaces x7 (the records
 * of the last window): "were it working as it usually does".
 */
export function features(
  times: readonly number[],
  t: number,
  start: number,
  windowH: number,
  episodes: readonly HealthEpisode[] = [],
  activity: readonly Activity[] | null = null,
  records?: number,
  condition: readonly ConditionBucket[] = [],
): number[] {
  const w = windowH * HOUR;
  const past = incidentsIn(times, -Infinity, t);
  const windows = Math.max(1, (t - start) / w);
  const open = openAt(episodes, t);
  const raised = Math.min(...open.map((e) => e.raisedAt));
  const working = lastWorking(times, t, start, windowH, activity);
  return [
    // x1: incidents in the last window.
    Math.log1p(incidentsIn(times, t - w, t)),
    // x2: incidents in its last 7 windows of work.
    Math.log1p(working.incidents),
    // x3: the long-run rate (the baseline's score).
    past / windows,
    // x4, x5: an open health alert, and how far off its measure was when raised.
    ...healthFeatures(episodes, t),
    // x6: how long its alert has been open, in windows (a degrading device gets worse while it runs).
    open.length > 0 ? Math.log1p((t - raised) / w) : 0,
    // x7: what it recorded in the last window (its exposure, beyond the idle rule's yes or no).
    activity ? Math.log1p(records ?? recordedBefore(activity, t, windowH)) : 0,
    // x8: its incidents per 1,000 records over its last 7 windows of work (its condition, per use).
    activity ? Math.log1p((1000 * working.incidents) / (1 + working.records)) : 0,
    // x9–x11: its condition as the health stage saw it (a falling grade, rising no-reads lead the
    // damaged labels they cause).
    ...conditionFeatures(condition, t, windowH),
  ];
}

/** The median of the records in the windows a device worked (0 if none): how it usually works. */
export function usualRecords(
  t: number,
  start: number,
  windowH: number,
  activity: readonly Activity[],
): number {
  const w = windowH * HOUR;
  const counts: number[] = [];
  for (let to = t; to - w >= start; to -= w) {
    const n = recordedIn(activity, to - w, to);
    if (n > 0) counts.push(n);
  }
  counts.sort((a, b) => a - b);
  return counts.length ? counts[Math.floor(counts.length / 2)]! : 0;
}

/** The baseline's score: the device's past incidents per window. */
export const baselineScore = (times: readonly number[], t: number, start: number, windowH: number) =>
  features(times, t, start, windowH)[2]!;

interface Sample {
  device: string;
  t: number;
  x: number[];
  base: number;
  /** It recorded events in the N h before t (always, when no activity is known). */
  working: boolean;
  y: 0 | 1;
}

export function samples(
  byDevice: Map<string, number[]>,
  from: number,
  to: number,
  start: number,
  windowH: number,
  health: ReadonlyMap<string, HealthEpisode[]> = new Map(),
  activity: ReadonlyMap<string, Activity[]> | null = null,
  condition: ReadonlyMap<string, ConditionBucket[]> = new Map(),
): Sample[] {
  const w = windowH * HOUR;
  const out: Sample[] = [];
  for (const [device, times] of byDevice) {
    for (let t = from; t + w <= to; t += w) {
      const work = activity ? (activity.get(device) ?? []) : null;
      const x = features(
        times,
        t,
        start,
        windowH,
        health.get(device),
        work,
        undefined,
        condition.get(device),
      );
      const y = incidentsIn(times, t, t + w) > 0 ? 1 : 0;
      const working = !work || recordedBefore(work, t, windowH) > 0;
      out.push({ device, t, x, base: x[2]!, working, y });
    }
  }
  return out;
}

export interface Logistic {
  weights: number[];
  bias: number;
  mean: number[];
  scale: number[];
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Batch gradient descent with a little L2, on standardised features. */
export function fitLogistic(
  xs: number[][],
  ys: number[],
  { iterations = 400, rate = 0.5, l2 = 0.01 } = {},
): Logistic {
  const d = xs[0]?.length ?? 0;
  const mean = Array.from(
    { length: d },
    (_, j) => xs.reduce((a, x) => a + x[j]!, 0) / Math.max(1, xs.length),
  );
  const scale = Array.from({ length: d }, (_, j) => {
    const v = xs.reduce((a, x) => a + (x[j]! - mean[j]!) ** 2, 0) / Math.max(1, xs.length);
    return Math.sqrt(v) || 1;
  });
  const z = xs.map((x) => x.map((v, j) => (v - mean[j]!) / scale[j]!));
  const weights = new Array<number>(d).fill(0);
  let bias = 0;
  const n = Math.max(1, xs.length);
  for (let it = 0; it < iterations; it++) {
    const gw = new Array<number>(d).fill(0);
    let gb = 0;
    for (let i = 0; i < z.length; i++) {
      const err = sigmoid(bias + z[i]!.reduce((a, v, j) => a + v * weights[j]!, 0)) - ys[i]!;
      for (let j = 0; j < d; j++) gw[j]! += err * z[i]![j]!;
      gb += err;
    }
    for (let j = 0; j < d; j++) weights[j]! -= rate * (gw[j]! / n + l2 * weights[j]!);
    bias -= rate * (gb / n);
  }
  return { weights, bias, mean, scale };
}

export const predict = (m: Logistic, x: readonly number[]) =>
  sigmoid(m.bias + x.reduce((a, v, j) => a + ((v - m.mean[j]!) / m.scale[j]!) * m.weights[j]!, 0));

/** Area under the ROC curve (ties count half): the chance a positive outranks a negative. */
export function auc(scores: readonly number[], labels: readonly number[]): number | null {
  const idx = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j < idx.length && idx[j]![0] === idx[i]![0]) j++;
    const avg = (i + 1 + j) / 2;
    for (let k = i; k < j; k++)
      if (idx[k]![1] === 1) {
        rankSum += avg;
        pos++;
      }
    i = j;
  }
  const neg = idx.length - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Precision and recall when the top `share` of scores are flagged. */
export function precisionRecallAtTop(scores: readonly number[], labels: readonly number[], share = 0.1) {
  const k = Math.max(1, Math.round(scores.length * share));
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => b[0] - a[0]);
  const hits = order.slice(0, k).filter(([, y]) => y === 1).length;
  const positives = labels.filter((y) => y === 1).length;
  return { precision: hits / k, recall: positives ? hits / positives : 0 };
}

/** A scorer's figures on the test windows. */
export interface Scored {
  auc: number | null;
  precision: number;
  recall: number;
}

/**
 * A paired bootstrap of the model's test AUC over another scorer's: the test windows' start times
 * drawn with replacement (every device's window at a drawn time comes along, so the two scorers are
 * always judged on the same windows, and windows of one time, which share the floor's state, stay
 * together). `low` and `high` are the 5th and 95th percentiles of the difference.
 */
export interface Bootstrap {
  difference: number;
  low: number;
  high: number;
  draws: number;
}

export interface Evaluation {
  windowHours: number;
  /** Why this window: given with --hours, or the rule that chose it from the history. */
  windowRule: string;
  splitAt: string;
  /** The end of the history judged: its last case, alert or recorded span (not the wall clock). */
  historyEnd: string;
  train: { samples: number; positives: number };
  test: { samples: number; positives: number };
  model: Scored;
  baseline: Scored;
  /**
   * The baseline with the model's idle rule (0 for a device that recorded nothing in the last N h):
   * how much of the model's gain is exposure alone. The verdict is against the plain baseline.
   */
  idleBaseline: Scored;
  /**
   * The order the risks are printed in (an open health alert first, then the scorer the verdict
   * chose), judged on the same test windows: what ranking by the health state costs or gains.
   */
  ranking: Scored;
  /** The model's AUC over the baseline's, and over the idle rule's, bootstrapped (null: too few). */
  overBaseline: Bootstrap | null;
  overIdleBaseline: Bootstrap | null;
  /** The rule the verdict follows, in words. */
  verdictRule: string;
  beatsBaseline: boolean;
  verdict: string;
}

export interface Risk {
  device: string;
  /** Probability of at least one incident in the next window (0 for an idle device, by the model). */
  risk: number;
  /**
   * The same probability were it working in the next window (the model's score without the idle
   * rule): the device's condition, for a line that is stopped now and will start again.
   */
  riskIfWorking: number;
  /** It recorded events in the last window (always true when no activity is known). */
  working: boolean;
  scoredBy: 'model' | 'baseline';
  /**
   * The device-health alert open at `now` (the most deviant, when several), or null. A device with
   * one is ranked above every device without one, whatever its case history: the health stage has
   * found it faulty, and it stays a failure point until it is fixed (docs/exceptions.md).
   */
  openAlert: { metric: string; value: number; baseline: number; raisedAt: string } | null;
  recent: number;
  total: number;
  action: string;
}

export interface Insights {
  incidents: number;
  patterns: Pattern[];
  evaluation: Evaluation | null;
  /** The printed order: an open health alert first, then by risk. */
  risks: Risk[];
  /** The devices by the scorer's risk were each working (riskIfWorking) alone: no alert rule, no idle rule. */
  byRiskIfWorking: string[];
}

const verbs: Record<string, string> = {
  grade: 'recalibrate printer',
  print_grade: 'recalibrate printer',
  no_read_rate: 'clean the lens and check the lighting of',
  clock_drift: 'resynchronise the clock of',
  clock_offset: 'resynchronise the clock of',
  duplicate_rate: 'check the network link and retries of',
  silence: 'check power and network of',
};
const kindActions: Record<string, string> = {
  DAMAGED_LABEL: 'inspect the print head and label stock of',
  MISLABELED_PALLET: 'audit the palletising scans at',
  MISSING_SKU: 'check the master-data sync of products read by',
  QUARANTINE_BREACH: 'remind the team of quarantine rules at',
  DEVICE_FAULT: 'service',
  OTHER: 'review the incidents of',
};

/** The action for a measured fault: a verb for its measure, and the measure against its baseline. */
function measuredAction(device: string, m: { name: string; value: number | null; baseline: number | null }) {
  const verb = verbs[m.name] ?? 'inspect';
  const trend =
    m.baseline !== null && m.value !== null
      ? `${m.name} ${m.value} against a baseline of ${m.baseline}`
      : `${m.name} ${m.value}`;
  return `${verb} ${device}: ${trend}`;
}

/**
 * A preventive action for a device: from its open health alert, else its latest measured fault,
 * else its commonest case kind.
 */
export function suggestAction(
  device: string,
  rows: readonly IncidentRow[],
  open: HealthEpisode | null = null,
): string {
  if (open) return measuredAction(device, { name: open.metric, value: open.value, baseline: open.baseline });
  const measured = [...rows].reverse().find((r) => r.metric && r.metric.value !== null);
  if (measured?.metric) return measuredAction(device, measured.metric);
  const byKind = new Map<string, number>();
  for (const r of rows) byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
  const [kind, n] = [...byKind].sort((a, b) => b[1] - a[1])[0] ?? ['OTHER', 0];
  if (n === 0) return `nothing to do for ${device}: no cases, no open alert`;
  return `${kindActions[kind] ?? 'review the incidents of'} ${device}: ${n} ${kind.toLowerCase().replace(/_/g, ' ')} case(s)`;
}

/** An incident's time on the model's axis: the broker's receive time, else its occurred_at. */
export const timeOf = (r: IncidentRow): number => r.receivedAt ?? r.occurredAt;

/** `value` of each item, in lists by `key` (keys in the order first seen). */
function groupBy<T, V>(items: readonly T[], key: (t: T) => string, value: (t: T) => V): Map<string, V[]> {
  const out = new Map<string, V[]>();
  for (const t of items) {
    const list = out.get(key(t));
    if (list) list.push(value(t));
    else out.set(key(t), [value(t)]);
  }
  return out;
}

/** Sort key of the printed order: an open health alert first, then the risk. */
const rankScore = (openAlert: boolean, risk: number) => (openAlert ? 1 : 0) + risk;

/** The windows the history is judged in, longest first: a day's notice is worth more than an hour's. */
export const windowLadder = [24, 12, 8, 4, 2, 1, 0.5, 0.25];

/**
 * Where the time split falls for windows of `w` ms: when the first `trainShare` of the incidents
 * (sorted `times`) had happened, on the window grid, leaving two windows on either side at least.
 * By incidents, not by clock time: a history whose last days are quiet (a warehouse receiving
 * after production ended) would otherwise leave the test part with a handful of incidents.
 */
export function splitOf(times: readonly number[], start: number, end: number, w: number, trainShare: number) {
  const at = times[Math.min(times.length - 1, Math.floor(times.length * trainShare))] ?? end;
  const grid = (t: number) => start + Math.floor((t - start) / w) * w;
  return Math.max(start + 2 * w, Math.min(grid(at), grid(end) - 2 * w));
}

/** Every device's incident times, sorted. */
const incidentTimes = (byDevice: ReadonlyMap<string, readonly number[]>) =>
  [...byDevice.values()].flat().sort((a, b) => a - b);

/** Device-windows after the split with an incident and without (every device working). */
function testCounts(byDevice: ReadonlyMap<string, readonly number[]>, split: number, end: number, w: number) {
  let positives = 0;
  let negatives = 0;
  for (const times of byDevice.values())
    for (let t = split; t + w <= end; t += w)
      if (incidentsIn(times, t, t + w) > 0) positives++;
      else negatives++;
  return { positives, negatives };
}

/**
 * The prediction window, from the history: the longest of the ladder whose test part (after the
 * time split) holds at least `minTest` device-windows with an incident and as many without, so that
 * the verdict has something to stand on (with 25 of each, the standard error of an AUC is at most
 * √(0.25 / 25) = 0.1, Hanley and McNeil's bound); else the shortest (and the verdict may say too few).
 */
export function chooseWindow(
  byDevice: ReadonlyMap<string, readonly number[]>,
  start: number,
  end: number,
  { trainShare = 0.7, minTest = 25 } = {},
): { hours: number; rule: string } {
  const rule = `the longest of ${windowLadder.join(', ')} h whose test part (after ${Math.round(trainShare * 100)} % of the incidents) holds at least ${minTest} device-windows with an incident and ${minTest} without`;
  const times = incidentTimes(byDevice);
  for (const hours of windowLadder) {
    const w = hours * HOUR;
    const { positives, negatives } = testCounts(byDevice, splitOf(times, start, end, w, trainShare), end, w);
    if (positives >= minTest && negatives >= minTest)
      return { hours, rule: `${rule} (${positives} with one)` };
  }
  return { hours: windowLadder.at(-1)!, rule: `${rule}: none does, so the shortest` };
}

/** The q-quantile of sorted numbers (nearest rank). */
const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

/**
 * A paired bootstrap of AUC(a) − AUC(b) over blocks of samples (the test windows of one start time),
 * with a fixed seed: the same history gives the same verdict. Null when fewer than half the draws
 * hold both classes.
 */
export function pairedBootstrap(
  blocks: readonly (readonly number[])[],
  a: readonly number[],
  b: readonly number[],
  labels: readonly number[],
  { draws = 1000, seed = 9 } = {},
): Bootstrap | null {
  const observedA = auc(a, labels);
  const observedB = auc(b, labels);
  if (observedA === null || observedB === null || blocks.length === 0) return null;
  const rnd = prng(seed);
  const diffs: number[] = [];
  for (let d = 0; d < draws; d++) {
    const idx: number[] = [];
    for (let k = 0; k < blocks.length; k++) idx.push(...blocks[Math.floor(rnd() * blocks.length)]!);
    const ys = idx.map((i) => labels[i]!);
    const ra = auc(
      idx.map((i) => a[i]!),
      ys,
    );
    const rb = auc(
      idx.map((i) => b[i]!),
      ys,
    );
    if (ra !== null && rb !== null) diffs.push(ra - rb);
  }
  if (diffs.length < draws / 2) return null;
  diffs.sort((x, y) => x - y);
  return {
    difference: observedA - observedB,
    low: quantile(diffs, 0.05),
    high: quantile(diffs, 0.95),
    draws: diffs.length,
  };
}

/** The history's end: its last case, alert change or recorded span (the wall clock is no evidence). */
function historyEnd(
  rows: readonly IncidentRow[],
  episodes: readonly HealthEpisode[],
  activity: readonly Activity[],
  now: number,
): number {
  // Only what was known by `now` (rows after it are already left out).
  let end = -Infinity;
  for (const r of rows) end = Math.max(end, timeOf(r) + 1);
  for (const e of episodes)
    for (const t of [e.raisedAt, e.clearedAt ?? -Infinity]) if (t < now) end = Math.max(end, t + 1);
  for (const a of activity) if (a.to <= now) end = Math.max(end, a.to);
  return end;
}

/** What insights and ablation read: the case history and the device's state over time. */
export interface HistoryOptions {
  /** The device-health alert episodes, for x4–x6 and the order of the risks. */
  episodes?: readonly HealthEpisode[];
  /** Each device's recorded events over time, for x7, x8 and the idle rule (none: every device works). */
  activity?: readonly Activity[];
  /** What the health stage saw of each device per bucket of broker time, for x9–x11 (none: 0). */
  condition?: readonly ConditionBucket[];
  /** Every registered device (master data): one without cases is ranked too, not left out. */
  devices?: readonly string[];
  /** The prediction window; absent: chosen from the history. */
  windowHours?: number;
  now?: number;
  trainShare?: number;
}

/**
 * The history as the model judges it: incidents by device (sorted), the health, activity and
 * condition known by `now`, the window, the time split, and the train and test windows. One
 * function, so that insights and ablation judge exactly the same windows. Null when no case names
 * a device (no time axis to learn on).
 */
function judgedHistory(
  rows: readonly IncidentRow[],
  {
    episodes = [],
    activity = [],
    condition = [],
    devices = [],
    windowHours,
    now = rows.reduce((m, r) => Math.max(m, timeOf(r)), 0) + 1,
    trainShare = 0.7,
  }: HistoryOptions,
) {
  const withDevice = rows.filter((r): r is IncidentRow & { deviceId: string } => !!r.deviceId);
  const byDevice = groupBy(withDevice, (r) => r.deviceId, timeOf);
  for (const t of byDevice.values()) t.sort((a, b) => a - b);
  if (byDevice.size === 0) return null;
  for (const d of devices) if (!byDevice.has(d)) byDevice.set(d, []);
  const health = groupBy(
    episodes,
    (e) => e.device,
    (e) => e,
  );
  // No activity known at all (an old database, the synthetic tests): every device counts as working.
  const work =
    activity.length > 0
      ? groupBy(
          activity,
          (a) => a.device,
          (a) => a,
        )
      : null;
  for (const list of work?.values() ?? []) list.sort((a, b) => a.from - b.from);
  const seen = groupBy(
    condition.filter((b) => b.to <= now),
    (b) => b.device,
    (b) => b,
  );
  for (const list of seen.values()) list.sort((a, b) => a.from - b.from);
  const start = withDevice.reduce((m, r) => Math.min(m, timeOf(r)), Infinity);
  const end = historyEnd(rows, episodes, activity, now);
  const chosen =
    windowHours === undefined
      ? chooseWindow(byDevice, start, end, { trainShare })
      : { hours: windowHours, rule: 'given (--hours)' };
  const w = chosen.hours * HOUR;
  const split = splitOf(incidentTimes(byDevice), start, end, w, trainShare);
  return {
    withDevice,
    byDevice,
    health,
    work,
    seen,
    start,
    end,
    chosen,
    split,
    train: samples(byDevice, start + w, split, start, chosen.hours, health, work, seen),
    test: samples(byDevice, split, end, start, chosen.hours, health, work, seen),
  };
}

/** A sample's features without the columns in `drop` (0-based: x1 is column 0). */
const keep = (x: readonly number[], drop: ReadonlySet<number>) =>
  drop.size ? x.filter((_, j) => !drop.has(j)) : [...x];

/** The hurdle: the regression fitted on the windows where the device was working. */
const fitWorking = (s: readonly Sample[], drop: ReadonlySet<number> = new Set()) =>
  fitLogistic(
    s.filter((x) => x.working).map((x) => keep(x.x, drop)),
    s.filter((x) => x.working).map((x) => x.y),
  );

/** The model's score of each window: 0 for an idle device (the idle rule), else the regression's. */
const scoreAll = (m: Logistic, s: readonly Sample[], drop: ReadonlySet<number> = new Set()) =>
  s.map((x) => (x.working ? predict(m, keep(x.x, drop)) : 0));

/** The test windows by start time: the paired bootstrap draws whole times (libs/incidents Bootstrap). */
const blocksOf = (test: readonly Sample[]) => [
  ...groupBy(
    test.map((s, i) => [s, i] as const),
    ([s]) => String(s.t),
    ([, i]) => i,
  ).values(),
];

const positives = (s: readonly Sample[]) => s.filter((x) => x.y === 1).length;

/** The train part can be fitted: working windows of both classes. */
const fittable = (train: readonly Sample[]) => {
  const working = train.filter((s) => s.working);
  return working.length > 0 && positives(working) > 0 && positives(working) < working.length;
};

/**
 * Patterns, the time-split evaluation, and the ranked risks for the next window after `now`.
 * The window is `windowHours` when given, else chosen from the history (chooseWindow).
 * The verdict: the model beats the baseline when the test part holds at least `minTestPositives`
 * windows with an incident and the paired bootstrap's 5th percentile of its AUC gain is above 0
 * (one-sided, 95 %).
 */
export function insights(
  rows: readonly IncidentRow[],
  {
    now = rows.reduce((m, r) => Math.max(m, timeOf(r)), 0) + 1,
    trainShare = 0.7,
    minTestPositives = 5,
    draws = 1000,
    ...history
  }: HistoryOptions & {
    minTestPositives?: number;
    /** Bootstrap draws for the verdict. */
    draws?: number;
  } = {},
): Insights {
  // As of `now`: a case recorded after it is not known yet (`--at` a past time).
  rows = rows.filter((r) => timeOf(r) < now);
  const out: Insights = {
    incidents: rows.length,
    patterns: patterns(rows),
    evaluation: null,
    risks: [],
    byRiskIfWorking: [],
  };
  const judged = judgedHistory(rows, { ...history, now, trainShare });
  // No case on any device: no time axis to learn on, and nothing to rank (made up risks would mislead).
  if (!judged) return out;
  const { withDevice, byDevice, health, work, seen, start, end, chosen, split, train, test } = judged;
  const workOf = (device: string) => (work ? (work.get(device) ?? []) : null);
  const windowHours = chosen.hours;
  const w = windowHours * HOUR;
  if (fittable(train)) {
    const model = fitWorking(train);
    const mScores = scoreAll(model, test);
    const bScores = test.map((s) => s.base);
    const iScores = test.map((s) => (s.working ? s.base : 0));
    const labels = test.map((s) => s.y);
    const mAuc = auc(mScores, labels);
    const bAuc = auc(bScores, labels);
    const blocks = blocksOf(test);
    const overBaseline = pairedBootstrap(blocks, mScores, bScores, labels, { draws });
    const overIdleBaseline = pairedBootstrap(blocks, mScores, iScores, labels, { draws });
    const enough = positives(test) >= minTestPositives;
    const beats = enough && overBaseline !== null && overBaseline.low > 0;
    // The printed order on the test windows: x4 (an alert open at the window's start) first.
    const scoredBy = beats ? mScores : bScores.map((b) => 1 - Math.exp(-b));
    const rScores = test.map((s, i) => rankScore(s.x[3] === 1, scoredBy[i]!));
    const gain = (b: Bootstrap | null) =>
      b
        ? `AUC gain ${b.difference.toFixed(3)}, 90 % interval ${b.low.toFixed(3)} to ${b.high.toFixed(3)}`
        : 'no interval';
    out.evaluation = {
      windowHours,
      windowRule: chosen.rule,
      splitAt: new Date(split).toISOString(),
      historyEnd: new Date(end).toISOString(),
      train: { samples: train.length, positives: positives(train) },
      test: { samples: test.length, positives: positives(test) },
      model: { auc: mAuc, ...precisionRecallAtTop(mScores, labels) },
      baseline: { auc: bAuc, ...precisionRecallAtTop(bScores, labels) },
      idleBaseline: { auc: auc(iScores, labels), ...precisionRecallAtTop(iScores, labels) },
      ranking: { auc: auc(rScores, labels), ...precisionRecallAtTop(rScores, labels) },
      overBaseline,
      overIdleBaseline,
      verdictRule: `trained on the windows before the time ${Math.round(trainShare * 100)} % of the incidents had happened, tested on the windows after it; the model beats the baseline when the test part holds at least ${minTestPositives} windows with an incident and, in a paired bootstrap of ${draws} draws over the test windows' start times, the 5th percentile of its AUC gain is above 0`,
      beatsBaseline: beats,
      verdict: !enough
        ? `not enough incidents after the split (${positives(test)} windows with one; ${minTestPositives} needed) to judge the model: risks are ranked by the baseline`
        : beats
          ? `the model beats the baseline after the time split (AUC ${mAuc!.toFixed(3)} against ${bAuc!.toFixed(3)}; ${gain(overBaseline)})`
          : `the model does not beat the baseline (AUC ${mAuc?.toFixed(3) ?? '-'} against ${bAuc?.toFixed(3) ?? '-'}; ${gain(overBaseline)}): risks are ranked by the baseline`,
    };
  }
  // The final risks: the model refitted on all windows when it earned it, else the baseline rate
  // turned into a probability (Poisson: 1 − e^(−rate)).
  const all = samples(byDevice, start + w, end, start, windowHours, health, work, seen).filter(
    (s) => s.working,
  );
  const useModel =
    out.evaluation?.beatsBaseline === true && positives(all) > 0 && positives(all) < all.length;
  const final = useModel ? fitWorking(all) : null;
  for (const [device, times] of byDevice) {
    const activityOf = workOf(device);
    const x = features(
      times,
      now,
      start,
      windowHours,
      health.get(device),
      activityOf,
      undefined,
      seen.get(device),
    );
    const working = !activityOf || recordedBefore(activityOf, now, windowHours) > 0;
    // Were it working: an idle device's x7 as in its usual window of work.
    const usual = activityOf && !working ? usualRecords(now, start, windowHours, activityOf) : undefined;
    const ifWorking =
      usual === undefined
        ? x
        : features(times, now, start, windowHours, health.get(device), activityOf, usual, seen.get(device));
    const riskIfWorking = final ? predict(final, ifWorking) : 1 - Math.exp(-x[2]!);
    const open =
      openAt(health.get(device) ?? [], now).sort((a, b) => deviationOf(b) - deviationOf(a))[0] ?? null;
    out.risks.push({
      device,
      // The baseline knows nothing of work: its risk is the rate, working or not.
      risk: final && !working ? 0 : riskIfWorking,
      riskIfWorking,
      working,
      scoredBy: final ? 'model' : 'baseline',
      openAlert: open && {
        metric: open.metric,
        value: open.value,
        baseline: open.baseline,
        raisedAt: new Date(open.raisedAt).toISOString(),
      },
      recent: times.filter((t) => t >= now - w).length,
      total: times.length,
      action: suggestAction(
        device,
        withDevice.filter((r) => r.deviceId === device),
        open,
      ),
    });
  }
  out.byRiskIfWorking = [...out.risks]
    .sort((a, b) => b.riskIfWorking - a.riskIfWorking || a.device.localeCompare(b.device))
    .map((r) => r.device);
  // A device the health stage holds faulty now ranks above every device it does not, then by risk:
  // a drifting clock makes no cases of its own, yet it mis-times every event it stamps.
  out.risks.sort(
    (a, b) =>
      rankScore(!!b.openAlert, b.risk) - rankScore(!!a.openAlert, a.risk) || a.device.localeCompare(b.device),
  );
  return out;
}

/**
 * The feature groups an ablation drops, by name: the columns (x1 is column 0) of each. `cases` is
 * the case history (x1–x3), `alert` the open health alert (x4–x6), `exposure` the records (x7–x8;
 * the idle rule stays: it is not a column), `condition` the health stage's history (x9–x11), and
 * each of x9, x10, x11 alone.
 */
export const featureGroups: Readonly<Record<string, readonly number[]>> = {
  cases: [0, 1, 2],
  alert: [3, 4, 5],
  exposure: [6, 7],
  condition: [8, 9, 10],
  x9: [8],
  x10: [9],
  x11: [10],
};

/** The model refitted without one group, on the same split: its test AUC and what it lost. */
export interface Dropped {
  group: string;
  /** The feature names dropped, e.g. ["x9", "x10", "x11"]. */
  features: string[];
  auc: number | null;
  /**
   * The full model's test AUC over this one's, bootstrapped as the verdict is (paired, over the
   * test windows' start times, the same seed): `low` above 0 says the group carries part of the gain.
   */
  loss: Bootstrap | null;
  /**
   * This refit's test AUC over the baseline's, bootstrapped as the verdict is: `low` above 0 says the
   * model without the group would beat the baseline by the same rule as the full model.
   */
  overBaseline: Bootstrap | null;
}

/** How a device's test windows with an incident fared: where the model and the baseline ranked them. */
export interface DeviceTest {
  device: string;
  windows: number;
  positives: number;
  /** Its windows with an incident in which it had recorded nothing in the N h before (the idle rule scores 0). */
  idlePositives: number;
  /**
   * The mean share of the test windows without an incident that each scorer ranks below its windows
   * with one (ties half): its part of the AUC (the AUC is this mean over every device's positives).
   * Null without a positive.
   */
  model: number | null;
  baseline: number | null;
}

/**
 * For each window with an incident (label 1), the share of windows without one scored below it
 * (ties count half); NaN for the windows without. Their mean is the AUC.
 */
export function positiveRanks(scores: readonly number[], labels: readonly number[]): number[] {
  const negatives = scores.filter((_, i) => labels[i] !== 1).sort((a, b) => a - b);
  return scores.map((s, i) => {
    if (labels[i] !== 1) return NaN;
    const below = lowerBound(negatives, s, (x) => x);
    let tiedTo = below;
    while (tiedTo < negatives.length && negatives[tiedTo] === s) tiedTo++;
    return negatives.length ? (below + (tiedTo - below) / 2) / negatives.length : NaN;
  });
}

export interface Ablation {
  windowHours: number;
  /** Each device's test windows: which positives the model ranks low, and the baseline. */
  devices: DeviceTest[];
  test: { samples: number; positives: number };
  /** The full model's test AUC (what insights' evaluation gives on the same history). */
  model: number | null;
  baseline: number | null;
  dropped: Dropped[];
}

/**
 * Which features carry the model's gain: the model refitted on the same train windows without each
 * named group of columns (featureGroups), each judged on the same test windows as insights judges
 * the full model, with a paired bootstrap of the full model's AUC over it and of its own over the
 * baseline's (would it beat the baseline by insights' rule). The idle rule holds in
 * every refit. Null when insights has no evaluation (no case names a device, or the train part has
 * one class only). Unknown group names are refused.
 */
export function ablation(
  rows: readonly IncidentRow[],
  {
    groups = Object.keys(featureGroups),
    now = rows.reduce((m, r) => Math.max(m, timeOf(r)), 0) + 1,
    draws = 1000,
    ...history
  }: HistoryOptions & { groups?: readonly string[]; draws?: number } = {},
): Ablation | null {
  const unknown = groups.filter((g) => !(g in featureGroups));
  if (unknown.length)
    throw new UsageError(
      `unknown feature group ${unknown.join(', ')} (known: ${Object.keys(featureGroups).join(', ')})`,
    );
  const judged = judgedHistory(
    rows.filter((r) => timeOf(r) < now),
    { ...history, now },
  );
  if (!judged || !fittable(judged.train)) return null;
  const { train, test, chosen } = judged;
  const labels = test.map((s) => s.y);
  const blocks = blocksOf(test);
  const full = scoreAll(fitWorking(train), test);
  const mRanks = positiveRanks(full, labels);
  const bScores = test.map((s) => s.base);
  const bRanks = positiveRanks(bScores, labels);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const devices = [...new Set(test.map((s) => s.device))].sort().map((device) => {
    const mine = test.map((s, i) => [s, i] as const).filter(([s]) => s.device === device);
    const pos = mine.filter(([s]) => s.y === 1);
    return {
      device,
      windows: mine.length,
      positives: pos.length,
      idlePositives: pos.filter(([s]) => !s.working).length,
      model: mean(pos.map(([, i]) => mRanks[i]!)),
      baseline: mean(pos.map(([, i]) => bRanks[i]!)),
    };
  });
  return {
    windowHours: chosen.hours,
    devices,
    test: { samples: test.length, positives: positives(test) },
    model: auc(full, labels),
    baseline: auc(bScores, labels),
    dropped: groups.map((group) => {
      const drop = new Set(featureGroups[group]);
      const without = scoreAll(fitWorking(train, drop), test, drop);
      return {
        group,
        features: [...drop].map((j) => `x${j + 1}`),
        auc: auc(without, labels),
        loss: pairedBootstrap(blocks, full, without, labels, { draws }),
        overBaseline: pairedBootstrap(blocks, without, bScores, labels, { draws }),
      };
    }),
  };
}
