/**
 * The one line of risk indicators at the top of the console: what a recall coordinator, a warehouse
 * manager or a quality engineer should look at first. A pure function of the feed's numbers.
 */
import type { DlqCount } from '../dlq';
import type { DeviceSignals } from './devices';
import type { RecallSummary } from './recalls';
import type { RiskIndicator, Sample } from './wire';

export type { RiskIndicator } from './wire';

const n = (x: number) => x.toLocaleString('en-US');

export function riskIndicators({
  recalls,
  dlqRecent,
  lag,
  history,
  devices,
  lagWarning = 1000,
}: {
  recalls: readonly RecallSummary[];
  dlqRecent: readonly DlqCount[];
  lag: Record<string, number>;
  history: readonly Sample[];
  devices: DeviceSignals;
  lagWarning?: number;
}): RiskIndicator[] {
  const out: RiskIndicator[] = [];
  for (const r of recalls) {
    if (r.recall.status !== 'active') continue;
    const parts = [`Recall ${r.recall.recallId}: ${n(r.located)} of ${n(r.units)} units located`];
    if (r.atPartnersNotNotified > 0) parts.push(`${n(r.atPartnersNotNotified)} at partners not yet notified`);
    if (r.notices.failed > 0) parts.push(`${n(r.notices.failed)} partner notices failed`);
    out.push({
      level: r.atPartnersNotNotified > 0 || r.notices.failed > 0 ? 'critical' : 'warning',
      view: 'recalls',
      text: parts.join(', '),
    });
  }
  for (const a of devices.alerts.filter((x) => x.clearedAt === null).slice(0, 3)) {
    out.push({
      level: 'warning',
      view: 'devices',
      text: `${a.device} ${a.kind.replace(/^device_/, '')} since ${a.since.slice(11, 16)} UTC (${a.metric.replace(/_/g, ' ')} ${a.value.toFixed(2)} vs ${a.baseline.toFixed(2)})${a.ackedBy ? `, acknowledged by ${a.ackedBy}` : ''}`,
    });
  }
  const open = Object.entries(devices.openByKind).filter(([, k]) => k > 0);
  const cases = open.reduce((s, [, k]) => s + k, 0);
  if (cases > 0) {
    out.push({
      level: 'warning',
      view: 'devices',
      text: `${n(cases)} open exception case${cases === 1 ? '' : 's'}: ${open
        .map(([kind, k]) => `${n(k)} ${kind.toLowerCase().replace(/_/g, ' ')}`)
        .join(', ')}`,
    });
  }
  for (const d of dlqRecent.slice(0, 3)) {
    out.push({
      level: d.n >= 100 ? 'critical' : 'warning',
      view: 'quality',
      text: `DLQ: ${d.reason} from ${d.source ?? 'unknown source'} x${n(d.n)} in the last 10 min`,
    });
  }
  const earlier = history.length > 10 ? history[history.length - 11]!.lag : null;
  for (const [group, l] of Object.entries(lag)) {
    if (l < lagWarning) continue;
    const growing = earlier !== null && (earlier[group] ?? 0) < l;
    out.push({
      level: growing ? 'critical' : 'warning',
      view: 'now',
      text: `Lag: ${group} ${n(l)} records behind${growing ? ' and growing' : ''}`,
    });
  }
  return out;
}
