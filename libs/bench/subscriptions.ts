/**
 * `unitrail bench subscriptions`: how soon a subscriber receives an event captured after it (issue
 * 11 asks for within 1 s). On the running stack (every stage its own process, the capture API with
 * its subscription dispatcher in this process, as test/epcis-query.test.ts starts them), one named
 * query on a bizLocation of this run's own, one webhook subscription (a local receiver that checks
 * each delivery's signature) and one WebSocket subscription; then N events captured one at a time,
 * `intervalMs` apart (not a burst). Each delay is measured from the capture request's acceptance (its
 * 202) and from landing (the event's recordTime, the sink's transaction start on the database clock)
 * to receipt. Every captured event must reach each subscriber exactly once.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config';
import { deliveredEvents, watchQuery } from '../epcis-query';
import { DependencyError } from '../errors';
import { verifySignature } from '../notify';
import { prepareStack, stackUp } from '../stack';
import { createPool } from '../store';
import { spawnStage, stopStages } from '../supervisor';
import { createToken, revokeToken } from '../tokens';
import { quantile } from './surge';

/** One event as a subscriber received it. */
export interface Receipt {
  eventID: string;
  recordTime: string;
  receivedAt: number;
}

export interface DelayFigures {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface ChannelAccount {
  captured: number;
  delivered: number;
  /** Captured events this subscriber never received. */
  missing: number;
  /** Receipts beyond the first of an event. */
  duplicates: number;
  /** Received events that this run did not capture. */
  unexpected: number;
  fromAcceptanceMs: DelayFigures | null;
  fromLandingMs: DelayFigures | null;
}

const figures = (delays: number[]): DelayFigures | null =>
  delays.length === 0
    ? null
    : {
        p50: Math.round(quantile(delays, 0.5)),
        p95: Math.round(quantile(delays, 0.95)),
        p99: Math.round(quantile(delays, 0.99)),
        max: Math.round(quantile(delays, 1)),
      };

/** What one subscriber received against what was captured (eventID → when its capture was accepted). */
export function accountDeliveries(
  acceptedAt: ReadonlyMap<string, number>,
  receipts: readonly Receipt[],
): ChannelAccount {
  const first = new Map<string, Receipt>();
  let duplicates = 0;
  let unexpected = 0;
  for (const r of receipts) {
    if (!acceptedAt.has(r.eventID)) unexpected++;
    else if (first.has(r.eventID)) duplicates++;
    else first.set(r.eventID, r);
  }
  const received = [...first.values()];
  return {
    captured: acceptedAt.size,
    delivered: first.size,
    missing: acceptedAt.size - first.size,
    duplicates,
    unexpected,
    fromAcceptanceMs: figures(received.map((r) => r.receivedAt - acceptedAt.get(r.eventID)!)),
    fromLandingMs: figures(received.map((r) => r.receivedAt - Date.parse(r.recordTime))),
  };
}

/** Why the run failed, in one line, or null when every event reached every subscriber once. */
export function deliveryFailure(channels: Record<string, ChannelAccount>, badSignatures = 0): string | null {
  const faults = Object.entries(channels).flatMap(([name, c]) => {
    const f = [
      c.missing > 0 ? `${c.missing} of ${c.captured} captured events not delivered` : '',
      c.duplicates > 0 ? `${c.duplicates} delivered more than once` : '',
      c.unexpected > 0 ? `${c.unexpected} events delivered that were not captured by this run` : '',
    ].filter(Boolean);
    return f.length === 0 ? [] : [`${name}: ${f.join(', ')}`];
  });
  if (badSignatures > 0) faults.push(`webhook: ${badSignatures} deliveries with a wrong signature`);
  return faults.length === 0 ? null : faults.join('; ');
}

/** A JSON-LD EPCIS document of one OBSERVE shipping ObjectEvent of `epc`, with further event fields. */
export function objectEventDocument({
  epc,
  eventTime,
  fields,
}: {
  epc: string;
  eventTime: string;
  fields: Record<string, unknown>;
}): string {
  const event = { type: 'ObjectEvent', eventTime, eventTimeZoneOffset: '+00:00', epcList: [epc] };
  return JSON.stringify({
    '@context': [
      'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
      { ex: 'https://example.com/unitrail/' },
    ],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: eventTime,
    epcisBody: { eventList: [{ ...event, action: 'OBSERVE', bizStep: 'shipping', ...fields }] },
  });
}

/** One new unit seen at a bizLocation, with a user extension, as a partner captures it. */
export const locatedEventDocument = ({
  serial,
  bizLocation,
  eventTime = new Date(Date.now() - 1000).toISOString(),
}: {
  serial: string;
  bizLocation: string;
  eventTime?: string;
}): string =>
  objectEventDocument({
    epc: `urn:epc:id:sgtin:4012345.011111.${serial}`,
    eventTime,
    fields: { bizLocation: { id: bizLocation }, 'ex:note': `subscription test ${serial}` },
  });

export interface WebhookDelivery {
  at: number;
  body: string;
  /** The GS1-Signature header matched the body signed with the subscription's secret. */
  signed: boolean;
}

/** A local webhook endpoint for a subscription: hands each delivery on, signature checked. */
export async function startWebhookReceiver(
  secret: string,
  onDelivery: (d: WebhookDelivery) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      onDelivery({
        at: Date.now(),
        body,
        signed: verifySignature(body, secret, req.headers['gs1-signature'] as string | undefined),
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A capture API started in this process, as services/capture-api's startCaptureApi gives it. */
export type StartCaptureApi = (options: {
  config: Config;
  port: number;
}) => Promise<{ port: number; stop(): Promise<void> }>;

export interface SubscriptionsBenchResult {
  events: number;
  intervalMs: number;
  webhook: ChannelAccount & { badSignatures: number };
  webSocket: ChannelAccount;
  /** The box's load average (1, 5, 15 min) at the end of the run. */
  load: number[];
  failure: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** The events of `ids` that every one of the receipt lists has. */
const receivedByAll = (ids: Iterable<string>, ...lists: Receipt[][]) => {
  const sets = lists.map((l) => new Set(l.map((r) => r.eventID)));
  return [...ids].filter((id) => sets.every((s) => s.has(id))).length;
};

export async function benchSubscriptionsOnStack({
  config,
  stages,
  startCaptureApi,
  events = 200,
  intervalMs = 250,
  settleMs = 30_000,
  warmupTimeoutMs = 180_000,
  progress,
}: {
  config: Config;
  stages: readonly string[];
  startCaptureApi: StartCaptureApi;
  events?: number;
  intervalMs?: number;
  /** How long after the last capture to wait for deliveries still on their way. */
  settleMs?: number;
  /** One event first, not counted, until the stages have joined their groups. */
  warmupTimeoutMs?: number;
  progress: (line: string) => void;
}): Promise<SubscriptionsBenchResult> {
  await stackUp({});
  await prepareStack(config);
  // What was opened, closed in reverse order however the run ends.
  const opened: (() => Promise<unknown>)[] = [];
  const pool = createPool(config.databaseUrl, { max: 2 });
  opened.push(() => pool.end());
  const logDir = path.join(config.stateDir, 'logs', 'bench');
  const children = stages.map((s) => spawnStage(s, logDir));
  opened.push(() => stopStages(children));
  const hookReceipts: Receipt[] = [];
  const socketReceipts: Receipt[] = [];
  let badSignatures = 0;
  try {
    const run = `bench-subs-${os.hostname()}-${Date.now()}`;
    const { token } = await createToken(pool, { name: run, role: 'producer' });
    opened.push(() => revokeToken(pool, run));
    const api = await startCaptureApi({ config, port: 0 });
    opened.push(() => api.stop());
    const base = `http://127.0.0.1:${api.port}`;
    const auth = { authorization: `Bearer ${token}` };
    const post = async (where: string, body: unknown): Promise<void> => {
      const res = await fetch(`${base}${where}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) {
        throw new DependencyError('capture-api', `POST ${where} answered ${res.status}: ${await res.text()}`);
      }
    };
    const bizLocation = `urn:epc:id:sgln:4012345.00001.${crypto.randomBytes(4).toString('hex')}`;
    const secret = crypto.randomBytes(16).toString('hex');
    const hook = await startWebhookReceiver(secret, (d) => {
      if (!d.signed) badSignatures++;
      for (const e of deliveredEvents(d.body)) hookReceipts.push({ ...e, receivedAt: d.at });
    });
    opened.push(() => hook.close());
    await post('/queries', { name: run, query: { EQ_bizLocation: [bizLocation] } });
    // Deleting the query deletes its subscriptions too.
    opened.push(() => fetch(`${base}/queries/${run}`, { method: 'DELETE', headers: auth }));
    const socket = watchQuery({ base, token, queryName: run, onEvent: (e) => socketReceipts.push(e) });
    opened.push(async () => socket.close());
    await socket.opened;
    await post(`/queries/${run}/subscriptions`, { dest: hook.url, signatureToken: secret, stream: true });
    progress(`bench subscriptions: ${events} events, ${intervalMs} ms apart; stage logs in ${logDir}`);

    const capture = async (): Promise<{ eventID: string; acceptedAt: number }> => {
      const serial = `b${crypto.randomBytes(6).toString('hex')}`;
      const res = await fetch(`${base}/capture`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/ld+json' },
        body: locatedEventDocument({ serial, bizLocation }),
      });
      const acceptedAt = Date.now();
      const job = (await res.json()) as { events?: { eventId: string }[] };
      if (res.status !== 202 || job.events?.length !== 1) {
        throw new DependencyError(
          'capture-api',
          `POST /capture answered ${res.status}: ${JSON.stringify(job)}`,
        );
      }
      return { eventID: job.events[0]!.eventId, acceptedAt };
    };

    // The first event waits for the stages to join their groups and is not counted.
    const warmup = await capture();
    const warm = () => receivedByAll([warmup.eventID], hookReceipts, socketReceipts) === 1;
    if (!(await waitUntil(warm, warmupTimeoutMs))) {
      throw new DependencyError(
        'pipeline',
        `the warm-up event did not reach both subscribers within ${warmupTimeoutMs / 1000} s (see ${logDir})`,
      );
    }
    const acceptedAt = new Map<string, number>();
    for (let i = 1; i <= events; i++) {
      const started = Date.now();
      const c = await capture();
      acceptedAt.set(c.eventID, c.acceptedAt);
      if (i % 50 === 0) progress(`bench subscriptions: ${i}/${events} captured`);
      await sleep(Math.max(0, intervalMs - (Date.now() - started)));
    }
    const allThere = () => receivedByAll(acceptedAt.keys(), hookReceipts, socketReceipts) === events;
    await waitUntil(allThere, settleMs);
    // A moment more, so a late duplicate is counted too.
    await sleep(Math.min(2000, settleMs));
    const counted = (receipts: Receipt[]) => receipts.filter((r) => r.eventID !== warmup.eventID);
    const webhook = accountDeliveries(acceptedAt, counted(hookReceipts));
    const webSocket = accountDeliveries(acceptedAt, counted(socketReceipts));
    return {
      events,
      intervalMs,
      webhook: { ...webhook, badSignatures },
      webSocket,
      load: os.loadavg().map((l) => Number(l.toFixed(2))),
      failure: deliveryFailure({ webhook, WebSocket: webSocket }, badSignatures),
    };
  } finally {
    for (const close of opened.reverse()) await close().catch(() => undefined);
  }
}
