import type { DeviceRow } from './store';

const n = (v: number | null, digits: number, unit = '') => (v === null ? '–' : `${v.toFixed(digits)}${unit}`);
const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)} %`);

/** `unitrail devices` as a table: health, each metric against its baseline, open alerts. */
export function formatDevices(rows: DeviceRow[]): string {
  if (rows.length === 0) return 'no devices seen yet (device-health has not read any record)';
  const lines = [
    [
      'device',
      'site',
      'health',
      'no-read (baseline)',
      'grade (baseline)',
      'clock drift s/h',
      'last seen',
    ].join('  '),
  ];
  const cells = rows.map((d) => [
    d.device,
    d.site,
    d.health.toUpperCase() === 'OK' ? 'ok' : d.health.toUpperCase(),
    `${pct(d.metrics.noReadRate.value)} (${pct(d.metrics.noReadRate.baseline)})`,
    `${n(d.metrics.printGrade.value, 2)} (${n(d.metrics.printGrade.baseline, 2)})`,
    n(d.metrics.clock.driftSecondsPerHour, 1),
    d.lastSeen,
  ]);
  const widths = cells[0]!.map((_, i) =>
    Math.max(...cells.map((c) => c[i]!.length), lines[0]!.split('  ')[i]!.length),
  );
  const pad = (c: string[]) =>
    c
      .map((x, i) => x.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  lines[0] = pad(lines[0]!.split('  '));
  for (const c of cells) lines.push(pad(c));
  const open = rows.flatMap((d) => d.openAlerts);
  if (open.length > 0) {
    lines.push('', 'open alerts (ack: unitrail devices ack ID --note TEXT):');
    for (const a of open)
      lines.push(
        `  ${a.alertId}  ${a.kind} ${a.metric} ${a.value} (baseline ${a.baseline}) since ${a.since}${a.ackedAt ? `  acked by ${a.ackedBy}: ${a.ackNote}` : ''}`,
      );
  }
  return lines.join('\n');
}
