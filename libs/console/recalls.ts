/**
 * What the Recalls view and the risk line show of each recall: its scope, the affected units by
 * status (the report of libs/recalls), partner notices sent and failed, and the surge topic's
 * consumers (lag and position of the surge sink group).
 */
import type pg from 'pg';
import { loadParties, recallReport } from '../recalls';
import { listRecalls } from '../recalls';
import type { GroupOffsets } from '../stats';
import { db } from '../store';
import type { RecallSummary } from './wire';

export type { RecallSummary } from './wire';

export async function recallSummaries(
  pool: pg.Pool,
  {
    offsets = {},
    includeClosed = true,
  }: { offsets?: Record<string, GroupOffsets>; includeClosed?: boolean } = {},
): Promise<RecallSummary[]> {
  const recalls = (await listRecalls(pool)).filter((r) => includeClosed || r.status === 'active');
  if (recalls.length === 0) return [];
  const parties = await loadParties(pool);
  const surge = offsets['ut.journey-sink-surge'] ?? { lag: 0, position: 0 };
  const out: RecallSummary[] = [];
  for (const recall of recalls) {
    if (recall.status !== 'active') {
      out.push({
        recall,
        units: 0,
        located: 0,
        byStatus: {},
        atPartners: 0,
        atPartnersNotNotified: 0,
        notices: { sent: 0, failed: 0, pending: 0 },
        surgeEvents: 0,
        surge,
      });
      continue;
    }
    const report = await recallReport(pool, recall, { parties });
    const notices = await db('recall notices', () =>
      pool.query<{
        partner_id: string;
        alert_sent_at: Date | null;
        webhook_sent_at: Date | null;
        last_error: string | null;
        webhook_url: string | null;
      }>(
        'SELECT partner_id, alert_sent_at, webhook_sent_at, last_error, webhook_url FROM ut.recall_notices WHERE recall_id = $1',
        [recall.recallId],
      ),
    );
    const notified = new Set(notices.rows.filter((n) => n.alert_sent_at !== null).map((n) => n.partner_id));
    const atPartner = report.units.filter((u) => u.custodian?.kind === 'partner');
    const surgeEvents = await db('recall surge events', () =>
      pool.query<{ n: string }>('SELECT count(*) AS n FROM ut.events WHERE recall_id = $1', [
        recall.recallId,
      ]),
    );
    out.push({
      recall,
      units: report.units.length,
      located: report.units.filter((u) => u.status !== 'unknown').length,
      byStatus: report.byStatus,
      atPartners: atPartner.length,
      atPartnersNotNotified: atPartner.filter((u) => !notified.has(u.custodian!.id)).length,
      notices: {
        sent: notices.rows.filter(
          (n) => n.alert_sent_at !== null && (n.webhook_url === null || n.webhook_sent_at !== null),
        ).length,
        failed: notices.rows.filter((n) => n.last_error !== null && n.webhook_sent_at === null).length,
        pending: notices.rows.filter((n) => n.alert_sent_at === null).length,
      },
      surgeEvents: Number(surgeEvents.rows[0]!.n),
      surge,
    });
  }
  return out;
}
