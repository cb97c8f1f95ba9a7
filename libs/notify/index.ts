/**
 * Partner notices of a recall: one partner_notice alert per affected partner on ut.alerts.v1 and,
 * when the partner has a `webhook` attribute in master data, one signed POST to it, retried with
 * back-off. Each goes out once per partner and recall, whoever asks again: ut.recall_notices
 * records what was sent, and a sender claims a row before sending so two runs never both send.
 *
 * Signature: `X-Unitrail-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>`, with the
 * partner's `webhookSecret` attribute, else the default secret (UNITRAIL_WEBHOOK_SECRET).
 */
import crypto from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { Codec } from '../avro';
import { oneLine } from '../errors';
import { topics } from '../topics';
import { db } from '../store';
import type { Recall } from '../recalls';
import type { Parties, RecallReport } from '../recalls';
import { backoffMs as retryBackoffMs, isRetriable } from '../retry';

export const SIGNATURE_HEADER = 'x-unitrail-signature';

export function sign(body: string | Buffer, secret: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check of a signature header, for receivers (and our tests). */
export function verifySignature(body: string | Buffer, secret: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(sign(body, secret));
  const given = Buffer.from(header.trim());
  return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}

export type DeliveryResult =
  { ok: true; attempts: number; status: number } | { ok: false; attempts: number; error: string };

/** Retrying makes sense after a network failure, a time-out, 429 or a 5xx; not after another 4xx. */
export const retriableStatus = (status: number) => isRetriable({ status });

/** Exponential back-off with full jitter (libs/retry): attempt 1 waits up to base, then 2×, 4×... capped. */
export function backoffMs(
  attempt: number,
  { baseMs = 500, maxMs = 10_000, random = Math.random } = {},
): number {
  return retryBackoffMs(attempt - 1, { initialMs: baseMs, maxMs, jitter: 1, random });
}

/** POSTs a signed JSON body, retrying with back-off; never throws. */
export async function deliver({
  url,
  body,
  secret,
  headers = {},
  attempts = 5,
  baseMs = 500,
  timeoutMs = 10_000,
  fetchImpl = fetch,
  sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
}: {
  url: string;
  body: string;
  secret: string;
  headers?: Record<string, string>;
  attempts?: number;
  baseMs?: number;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}): Promise<DeliveryResult> {
  let error = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(backoffMs(attempt - 1, { baseMs }));
    try {
      const res = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: sign(body, secret), ...headers },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, attempts: attempt, status: res.status };
      error = `HTTP ${res.status}`;
      if (!retriableStatus(res.status)) return { ok: false, attempts: attempt, error };
    } catch (err) {
      error = oneLine(err);
    }
  }
  return { ok: false, attempts, error };
}

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
