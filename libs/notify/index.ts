/**
 * Signed webhooks: one POST, retried with back-off on the answers worth retrying (a recall's partner
 * notices, libs/recalls; EPCIS query subscriptions, libs/epcis-query).
 *
 * Signature: `X-Unitrail-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>`, with the
 * partner's `webhookSecret` attribute, else the default secret (UNITRAIL_WEBHOOK_SECRET).
 */
import crypto from 'node:crypto';
import { oneLine } from '../errors';
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
