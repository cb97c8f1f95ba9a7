/** `unitrail incidents insights` as text. */
import type { Bootstrap, Insights } from './model';

const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
const num = (x: number | null) => (x === null ? '-' : x.toFixed(3));

export function formatInsights(i: Insights): string {
  const out = [
    `${i.incidents} cases`,
    '',
    'where incidents concentrate (share of the dimension, lift over an even spread)',
  ];
  if (i.patterns.length === 0) out.push('  nothing stands out');
  for (const p of i.patterns.slice(0, 12))
    out.push(
      `  ${p.dimension.padEnd(8)} ${p.value.padEnd(28)} ${String(p.incidents).padStart(4)} cases  ${pct(p.share).padStart(5)}  lift ${p.lift.toFixed(1)}`,
    );
  out.push('');
  const e = i.evaluation;
  if (e) {
    out.push(
      `evaluation (windows of ${e.windowHours} h: ${e.windowRule}; time split at ${e.splitAt}, history to ${e.historyEnd})`,
    );
    out.push(
      `  train ${e.train.samples} device-windows (${e.train.positives} with an incident), test ${e.test.samples} (${e.test.positives})`,
    );
    out.push(
      `  model      AUC ${num(e.model.auc)}  precision ${num(e.model.precision)}  recall ${num(e.model.recall)} (top 10 %)`,
    );
    out.push(
      `  baseline   AUC ${num(e.baseline.auc)}  precision ${num(e.baseline.precision)}  recall ${num(e.baseline.recall)} (each device's past rate)`,
    );
    out.push(
      `  idle rule  AUC ${num(e.idleBaseline.auc)}  precision ${num(e.idleBaseline.precision)}  recall ${num(e.idleBaseline.recall)} (the baseline, 0 for a device that recorded nothing in the last window)`,
    );
    out.push(
      `  as ranked  AUC ${num(e.ranking.auc)}  precision ${num(e.ranking.precision)}  recall ${num(e.ranking.recall)} (open health alert first)`,
    );
    const gain = (b: Bootstrap | null) =>
      b ? `${num(b.difference)} (90 % interval ${num(b.low)} to ${num(b.high)})` : '-';
    out.push(
      `  model's AUC gain over the baseline ${gain(e.overBaseline)}, over the idle rule ${gain(e.overIdleBaseline)}`,
    );
    out.push(`  rule: ${e.verdictRule}`);
    out.push(`  ${e.verdict}`);
  } else out.push('evaluation: not enough history to train and test a model');
  out.push(
    '',
    'risk of an incident in the next window, by device (an open health alert first), and were it working',
  );
  for (const r of i.risks)
    out.push(
      `  ${r.device.padEnd(20)} ${pct(r.risk).padStart(5)} ${pct(r.riskIfWorking).padStart(5)}  (${r.scoredBy}${r.working ? '' : ', idle'}; ${r.recent} recent, ${r.total} in all${r.openAlert ? `; ${r.openAlert.metric} alert open since ${r.openAlert.raisedAt}` : ''})  → ${r.action}`,
    );
  if (i.byRiskIfWorking.length > 0)
    out.push(`by the risk were each working alone: ${i.byRiskIfWorking.join(', ')}`);
  return out.join('\n');
}
