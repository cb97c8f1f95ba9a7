/**
 * Learning from incidents (docs/exceptions.md): where incidents concentrate, and for each device the
 * risk of an incident in the next N hours. Pure functions over case rows.
 *
 * The model is a logistic regression on recent-rate features, written out here because it is small
 * and must be explainable to a quality engineer:
 *   at a time t, for a device: x1 = log(1 + incidents in the last N h), x2 = log(1 + in the last 7N h),
 *   x3 = its long-run rate so far (incidents per window), x4 = exp(−hours since the last one / 7N);
 *   x5 = 1 when the device has an open health alert at t (libs/devices), x6 = log(1 + how far its
 *   measure was from its baseline when that alert was raised, relative to the baseline);
 *   label = at least one incident in [t, t + N).
 * Exposure: a device that recorded no event in the last N h (a line that stopped printing) is taken
 * to stay idle for the next N h and to make no incident: its risk is 0, and the regression is fitted
 * on the windows where the device was working (a hurdle model). When no activity is given at all,
 * every device counts as working.
 * It is judged honestly: trained on the earlier 70 % of the time, tested on the later 30 %, against
 * the naive baseline (each device's past incident rate). Its AUC must beat the baseline's by a margin
 * on enough test incidents, or it says so and the risks are ranked by the baseline.
 * The printed order puts every device with an open health alert first (then by risk): a fault that
 * makes no cases (a drifting clock) is still a failure point, and the case history cannot show it.
 */

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
 * Events a device recorded in the N h before t, from the spans that ended by t. `activity` is
 * sorted by `from`: a binary search finds the window's first span, so a long history stays cheap.
 */
export function recordedBefore(activity: readonly Activity[], t: number, windowH: number): number {
  const from = t - windowH * HOUR;
  let lo = 0;
  let hi = activity.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (activity[mid]!.from < from) lo = mid + 1;
    else hi = mid;
  }
  let n = 0;
  for (let i = lo; i < activity.length && activity[i]!.from < t; i++)
    if (activity[i]!.to <= t) n += activity[i]!.count;
  return n;
}

/** The alert episodes open at t: raised before it, not cleared by then. */
export function openAt(episodes: readonly HealthEpisode[], t: number): HealthEpisode[] {
  return episodes.filter((e) => e.raisedAt < t && (e.clearedAt === null || e.clearedAt >= t));
}

/** How far an episode's measure was from its baseline when raised, relative to the baseline. */
const deviationOf = (e: HealthEpisode) =>
  Math.abs(e.value - e.baseline) / Math.max(Math.abs(e.baseline), 0.001);

/** x5, x6: whether an alert is open at t, and how far off its measure was when raised. */
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

/** Features of one device at time t from its incident times (sorted) and its health episodes. */
export function features(
  times: readonly number[],
  t: number,
  start: number,
  windowH: number,
  episodes: readonly HealthEpisode[] = [],
): number[] {
  const w = windowH * HOUR;
  let recent = 0;
  let week = 0;
  let past = 0;
  let last = -Infinity;
  for (const x of times) {
    if (x >= t) break;
    past++;
    last = x;
    if (x >= t - w) recent++;
    if (x >= t - 7 * w) week++;
  }
  const windows = Math.max(1, (t - start) / w);
  return [
    Math.log1p(recent),
    Math.log1p(week),
    past / windows,
    Number.isFinite(last) ? Math.exp(-(t - last) / (7 * w)) : 0,
    ...healthFeatures(episodes, t),
  ];
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
): Sample[] {
  const w = windowH * HOUR;
  const out: Sample[] = [];
  for (const [device, times] of byDevice) {
    for (let t = from; t + w <= to; t += w) {
      const x = features(times, t, start, windowH, health.get(device));
      const y = times.some((s) => s >= t && s < t + w) ? 1 : 0;
      const working = !activity || recordedBefore(activity.get(device) ?? [], t, windowH) > 0;
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

export interface Evaluation {
  windowHours: number;
  splitAt: string;
  train: { samples: number; positives: number };
  test: { samples: number; positives: number };
  model: { auc: number | null; precision: number; recall: number };
  baseline: { auc: number | null; precision: number; recall: number };
  /**
   * The baseline with the model's idle rule (0 for a device that recorded nothing in the last N h):
   * how much of the model's gain is exposure alone. The verdict is against the plain baseline.
   */
  idleBaseline: { auc: number | null; precision: number; recall: number };
  /**
   * The order the risks are printed in (an open health alert first, then the scorer the verdict
   * chose), judged on the same test windows: what ranking by the health state costs or gains.
   */
  ranking: { auc: number | null; precision: number; recall: number };
  beatsBaseline: boolean;
  verdict: string;
}

export interface Risk {
  device: string;
  /** Probability of at least one incident in the next window (0 for an idle device, by the model). */
  risk: number;
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
  risks: Risk[];
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

/**
 * Patterns, the time-split evaluation, and the ranked risks for the next `windowHours` after `now`.
 * `margin`: how much higher the model's test AUC must be to claim it beats the baseline.
 */
export function insights(
  rows: readonly IncidentRow[],
  {
    episodes = [],
    activity = [],
    devices = [],
    windowHours = 24,
    now = Math.max(0, ...rows.map(timeOf)) + 1,
    trainShare = 0.7,
    margin = 0.02,
    minTestPositives = 5,
  }: {
    /** The device-health alert episodes, for x5 and x6 and the order of the risks. */
    episodes?: readonly HealthEpisode[];
    /** Each device's recorded events over time, for the idle rule (none given: every device works). */
    activity?: readonly Activity[];
    /** Every registered device (master data): one without cases is ranked too, not left out. */
    devices?: readonly string[];
    windowHours?: number;
    now?: number;
    trainShare?: number;
    margin?: number;
    minTestPositives?: number;
  } = {},
): Insights {
  const withDevice = rows.filter((r): r is IncidentRow & { deviceId: string } => !!r.deviceId);
  const byDevice = groupBy(withDevice, (r) => r.deviceId, timeOf);
  for (const t of byDevice.values()) t.sort((a, b) => a - b);
  const out: Insights = { incidents: rows.length, patterns: patterns(rows), evaluation: null, risks: [] };
  // No case on any device: no time axis to learn on, and nothing to rank (made up risks would mislead).
  if (byDevice.size === 0) return out;
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
  const w = windowHours * HOUR;
  const start = Math.min(...withDevice.map(timeOf));
  const split = start + Math.floor(((now - start) * trainShare) / w) * w;
  const train = samples(byDevice, start + w, split, start, windowHours, health, work);
  const test = samples(byDevice, split, now, start, windowHours, health, work);
  const positives = (s: Sample[]) => s.filter((x) => x.y === 1).length;
  // The hurdle: fitted on the windows where the device was working; an idle one scores 0.
  const fit = (s: Sample[]) =>
    fitLogistic(
      s.filter((x) => x.working).map((x) => x.x),
      s.filter((x) => x.working).map((x) => x.y),
    );
  const score = (m: Logistic, s: Sample) => (s.working ? predict(m, s.x) : 0);
  const working = train.filter((s) => s.working);
  if (working.length > 0 && positives(working) > 0 && positives(working) < working.length) {
    const model = fit(train);
    const mScores = test.map((s) => score(model, s));
    const bScores = test.map((s) => s.base);
    const iScores = test.map((s) => (s.working ? s.base : 0));
    const labels = test.map((s) => s.y);
    const mAuc = auc(mScores, labels);
    const bAuc = auc(bScores, labels);
    const enough = positives(test) >= minTestPositives;
    const beats = enough && mAuc !== null && bAuc !== null && mAuc >= bAuc + margin;
    // The printed order on the test windows: x5 (an alert open at the window's start) first.
    const chosen = beats ? mScores : bScores.map((b) => 1 - Math.exp(-b));
    const rScores = test.map((s, i) => rankScore(s.x[4] === 1, chosen[i]!));
    out.evaluation = {
      windowHours,
      splitAt: new Date(split).toISOString(),
      train: { samples: train.length, positives: positives(train) },
      test: { samples: test.length, positives: positives(test) },
      model: { auc: mAuc, ...precisionRecallAtTop(mScores, labels) },
      baseline: { auc: bAuc, ...precisionRecallAtTop(bScores, labels) },
      idleBaseline: { auc: auc(iScores, labels), ...precisionRecallAtTop(iScores, labels) },
      ranking: { auc: auc(rScores, labels), ...precisionRecallAtTop(rScores, labels) },
      beatsBaseline: beats,
      verdict: !enough
        ? `not enough incidents after the split (${positives(test)} windows with one; ${minTestPositives} needed) to judge the model: risks are ranked by the baseline`
        : beats
          ? `the model beats the baseline on the later ${Math.round((1 - trainShare) * 100)} % of the time (AUC ${mAuc!.toFixed(3)} against ${bAuc!.toFixed(3)})`
          : `the model does not beat the baseline (AUC ${mAuc?.toFixed(3) ?? '-'} against ${bAuc?.toFixed(3) ?? '-'}): risks are ranked by the baseline`,
    };
  }
  // The final risks: the model refitted on all windows when it earned it, else the baseline rate
  // turned into a probability (Poisson: 1 − e^(−rate)).
  const all = samples(byDevice, start + w, now, start, windowHours, health, work).filter((s) => s.working);
  const useModel =
    out.evaluation?.beatsBaseline === true && positives(all) > 0 && positives(all) < all.length;
  const final = useModel ? fit(all) : null;
  for (const [device, times] of byDevice) {
    const x = features(times, now, start, windowHours, health.get(device));
    const working = !work || recordedBefore(work.get(device) ?? [], now, windowHours) > 0;
    const risk = final ? (working ? predict(final, x) : 0) : 1 - Math.exp(-x[2]!);
    const open =
      openAt(health.get(device) ?? [], now).sort((a, b) => deviationOf(b) - deviationOf(a))[0] ?? null;
    out.risks.push({
      device,
      risk,
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
  // A device the health stage holds faulty now ranks above every device it does not, then by risk:
  // a drifting clock makes no cases of its own, yet it mis-times every event it stamps.
  out.risks.sort(
    (a, b) =>
      rankScore(!!b.openAlert, b.risk) - rankScore(!!a.openAlert, a.risk) || a.device.localeCompare(b.device),
  );
  return out;
}
