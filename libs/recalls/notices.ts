/**
 * Partner notices of a recall: one partner_notice alert per affected partner on ut.alerts.v1 and,
 * when the partner has a `webhook` attribute in master data, one signed POST to it (libs/notify
 * delivers it, retried with back-off). Each goes out once per partner and recall, whoever asks
 * again: ut.recall_notices records what was sent, and a sender claims a row before sending so two
 * runs never both send.
 */
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { Codec } from '../avro';
import { deliver, type DeliveryResult } from '../notify';
import { db } from '../store';
import { topics } from '../topics';
import type { Recall } from './recall';
import type { Parties, RecallReport } from './report';

export interface NoticeOutcome {
  partner: string;
  units: number;
  alert: 'sent' | 'already sent' | 'busy';
  webhook: 'sent' | 'already sent' | 'none' | 'busy' | `failed: ${string}`;
}

/** The partner_notice alert (avro/alert.avsc); its id is the recall and partner, so it is one alert. */
export interface PartnerAlert {
  alertId: string;
  kind: 'partner_notice';
  severity: string;
  message: string;
  recallId: string;
  partner: string;
  eventId: null;
  createdAt: number;
  payload: string;
}

/** Units listed in an alert's payload at most (a Kafka record stays small); the webhook gets them all. */
const ALERT_UNITS = 1000;

/** The notice a partner receives: the recall and the partner's own affected units. Pure. */
export function noticeBody(recall: Recall, partner: { id: string; name: string }, report: RecallReport) {
  const units = report.units
    .filter((u) => u.custodian?.kind === 'partner' && u.custodian.id === partner.id)
    .map((u) => ({
      unit: u.unit,
      serial: u.serial,
      lot: u.lot,
      status: u.status,
      location: u.location,
      containers: u.containers,
    }));
  return {
    type: 'unitrail.recall.partner_notice',
    recallId: recall.recallId,
    partner,
    reason: recall.reason,
    scope: {
      gtin: recall.gtin,
      lots: recall.lots,
      serials: recall.serials.length,
      deviceId: recall.deviceId,
    },
    declaredAt: new Date(recall.declaredAt).toISOString(),
    unitCount: units.length,
    units,
  };
}

export interface NotifyDeps {
  pool: pg.Pool;
  /** Produces the alert on ut.alerts.v1 (acks=all). */
  produceAlert: (alert: PartnerAlert) => Promise<void>;
  parties: Parties;
  defaultSecret?: string;
  deliverOptions?: Partial<Parameters<typeof deliver>[0]>;
  /** How long a sender holds a partner's row; another run may take it over afterwards. */
  claimSeconds?: number;
}

/** Notifies every partner holding affected units, once each; returns what happened per partner. */
export async function notifyPartners(
  { pool, produceAlert, parties, defaultSecret, deliverOptions = {}, claimSeconds = 300 }: NotifyDeps,
  report: RecallReport,
): Promise<NoticeOutcome[]> {
  const { recall } = report;
  const outcomes: NoticeOutcome[] = [];
  for (const { partner: id, name, units } of report.byPartner) {
    const attributes = parties.partners.get(id)?.attributes ?? {};
    const webhook = attributes.webhook ?? null;
    await db('notice row', () =>
      pool.query(
        `INSERT INTO ut.recall_notices (recall_id, partner_id, units, webhook_url) VALUES ($1, $2, $3, $4)
         ON CONFLICT (recall_id, partner_id) DO UPDATE SET webhook_url = COALESCE(ut.recall_notices.webhook_url, excluded.webhook_url)`,
        [recall.recallId, id, units, webhook],
      ),
    );
    const claimed = await db('notice claim', () =>
      pool.query<{ alert_sent_at: Date | null; webhook_url: string | null; webhook_sent_at: Date | null }>(
        `UPDATE ut.recall_notices SET claimed_until = now() + make_interval(secs => $3)
          WHERE recall_id = $1 AND partner_id = $2 AND (claimed_until IS NULL OR claimed_until < now())
          RETURNING alert_sent_at, webhook_url, webhook_sent_at`,
        [recall.recallId, id, claimSeconds],
      ),
    );
    const row = claimed.rows[0];
    if (!row) {
      outcomes.push({ partner: id, units, alert: 'busy', webhook: 'busy' });
      continue;
    }
    const outcome: NoticeOutcome = { partner: id, units, alert: 'already sent', webhook: 'none' };
    const body = noticeBody(recall, { id, name }, report);
    try {
      if (row.alert_sent_at === null) {
        await produceAlert({
          alertId: `partner_notice:${recall.recallId}:${id}`,
          kind: 'partner_notice',
          severity: 'warning',
          message: `recall ${recall.recallId}: ${units} affected units in the custody of ${name}`,
          recallId: recall.recallId,
          partner: id,
          eventId: null,
          createdAt: Date.now(),
          payload: JSON.stringify({
            ...body,
            units: body.units.slice(0, ALERT_UNITS),
            truncated: body.units.length > ALERT_UNITS,
          }),
        });
        await pool.query(
          'UPDATE ut.recall_notices SET alert_sent_at = now() WHERE recall_id = $1 AND partner_id = $2',
          [recall.recallId, id],
        );
        outcome.alert = 'sent';
      }
      if (row.webhook_url !== null) {
        if (row.webhook_sent_at !== null) outcome.webhook = 'already sent';
        else {
          const secret = attributes.webhookSecret ?? defaultSecret;
          const result: DeliveryResult = secret
            ? await deliver({
                ...deliverOptions,
                url: row.webhook_url,
                body: JSON.stringify(body),
                secret,
                headers: { 'x-unitrail-delivery': `${recall.recallId}:${id}` },
              })
            : {
                ok: false,
                attempts: 0,
                error: `no secret to sign with: set the partner's webhookSecret attribute or UNITRAIL_WEBHOOK_SECRET`,
              };
          await pool.query(
            `UPDATE ut.recall_notices SET attempts = attempts + $3, last_error = $4,
                    webhook_sent_at = CASE WHEN $5 THEN now() ELSE webhook_sent_at END
              WHERE recall_id = $1 AND partner_id = $2`,
            [recall.recallId, id, result.attempts, result.ok ? null : result.error, result.ok],
          );
          outcome.webhook = result.ok ? 'sent' : `failed: ${result.error}`;
        }
      }
    } finally {
      await pool
        .query('UPDATE ut.recall_notices SET claimed_until = NULL WHERE recall_id = $1 AND partner_id = $2', [
          recall.recallId,
          id,
        ])
        .catch(() => undefined);
    }
    outcomes.push(outcome);
  }
  return outcomes;
}

/** A producer of alerts on ut.alerts.v1 (acks=all), keyed by recall. */
export function alertProducer(kafka: Kafka, codec: Codec) {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  let connected: Promise<void> | undefined;
  return {
    async produce(alert: PartnerAlert): Promise<void> {
      await (connected ??= producer.connect());
      await producer.send({
        topic: topics.alerts.name,
        acks: -1,
        messages: [{ key: alert.recallId, value: await codec.encode(topics.alerts.name, alert) }],
      });
    },
    async close(): Promise<void> {
      if (connected) await producer.disconnect();
    },
  };
}
