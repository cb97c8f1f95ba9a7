/**
 * Delivers subscriptions: webhooks (streamed or scheduled) and WebSockets. The journey sink's
 * ledger batches are the clock: a statement trigger on ut.ledger_batches NOTIFYs `ut_ledger_batch`
 * at each commit, the dispatcher wakes, reads what landed since each subscriber's position
 * (chain_seq, which is commit-ordered) and sends the matching events. A poll every `pollMs` covers a
 * lost notification (a reconnect). Webhooks are signed (HMAC-SHA256 of the body with the
 * subscription's signatureToken, in GS1-Signature and X-Unitrail-Signature) and retried with
 * back-off by libs/notify; a webhook subscription's position is advanced (compare-and-set) before
 * it is sent, so several capture API processes never send the same batch twice.
 */
import pg from 'pg';
import type { JsonObject } from '../epcis';
import { oneLine } from '../errors';
import type { Logger } from '../log';
import { deliver, sign } from '../notify';
import type { Principal } from '../tokens';
import { queryDocument } from './answer';
import { type EventQuery, parseEventQuery } from './params';
import { type CompiledSchedule, compileSchedule, scheduleMatches } from './schedule';
import { type Heads, type Visibility, headsAhead } from './sql';
import {
  type Subscription,
  claimSubscription,
  findLanded,
  getNamedQuery,
  latestHeads,
  listSubscriptions,
  recordDelivery,
  visibilityOf,
} from './store';

export const LANDED_CHANNEL = 'ut_ledger_batch';

/** A live WebSocket subscriber: its query, what it may see, where it is in the ledger. */
export interface SocketSubscriber {
  subscriptionId: string;
  queryName: string;
  query: EventQuery;
  visibility: Visibility;
  position: Heads;
  send(text: string): void;
}

export type Deliver = typeof deliver;

export interface DispatcherOptions {
  pool: pg.Pool;
  databaseUrl: string;
  log: Logger;
  pollMs?: number;
  deliverImpl?: Deliver;
  attempts?: number;
}

export interface Dispatcher {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Adds a WebSocket subscriber from the current end of the ledger (or `position`). */
  addSocket(s: Omit<SocketSubscriber, 'position'> & { position?: Heads }): Promise<SocketSubscriber>;
  removeSocket(s: SocketSubscriber): void;
  /** Look for new batches now. */
  wake(): void;
}

export function createDispatcher({
  pool,
  databaseUrl,
  log,
  pollMs = 1000,
  deliverImpl = deliver,
  attempts = 5,
}: DispatcherOptions): Dispatcher {
  const sockets = new Set<SocketSubscriber>();
  const inFlight = new Set<string>();
  const deliveries = new Set<Promise<void>>();
  const compiled = new Map<string, CompiledSchedule>();
  let listener: pg.Client | null = null;
  let timer: NodeJS.Timeout | null = null;
  let scheduleTimer: NodeJS.Timeout | null = null;
  let pumping: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  async function connectListener(): Promise<void> {
    const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
    client.on('notification', () => wake());
    client.on('error', (err) => {
      log.warn('subscription listener lost its connection; reconnecting', { error: oneLine(err) });
      listener = null;
      void client.end().catch(() => {});
      if (!stopped) setTimeout(() => void connectListener().catch(() => {}), 1000);
    });
    await client.connect();
    await client.query(`LISTEN ${LANDED_CHANNEL}`);
    listener = client;
  }

  function wake(): void {
    if (stopped) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = pump()
      .catch((err) =>
        log.warn('subscription dispatch failed; retrying on the next batch', { error: oneLine(err) }),
      )
      .finally(() => {
        pumping = null;
        if (again) {
          again = false;
          wake();
        }
      });
  }

  async function pump(): Promise<void> {
    const upTo = await latestHeads(pool);
    // Webhooks and sockets at once: each costs a few round trips, none should wait for another.
    const webhooks = listSubscriptions(pool).then((all) => {
      for (const s of all) if (s.stream && headsAhead(s.lastHeads, upTo)) void serve(s, upTo, false);
    });
    const socketsServed = [...sockets]
      .filter((s) => headsAhead(s.position, upTo))
      .map(async (s) => {
        const from = s.position;
        s.position = upTo;
        const events = await findLanded(pool, s.query, s.visibility, { after: from, upTo });
        if (events.length > 0) {
          s.send(
            JSON.stringify(
              queryDocument(events, { queryName: s.queryName, subscriptionID: s.subscriptionId }),
            ),
          );
        }
      });
    await Promise.all([webhooks, ...socketsServed]);
  }

  /** One webhook delivery of what landed after s.lastHeads, up to upTo. */
  function serve(s: Subscription, upTo: Heads, scheduled: boolean): Promise<void> {
    if (inFlight.has(s.subscriptionId)) return Promise.resolve();
    inFlight.add(s.subscriptionId);
    const run = (async () => {
      try {
        const [claimed, named, who] = await Promise.all([
          claimSubscription(pool, s.subscriptionId, s.lastHeads, upTo),
          getNamedQuery(pool, s.owner, s.queryName),
          principal(s.owner),
        ]);
        if (!claimed) return;
        if (!named || !who) {
          await recordDelivery(
            pool,
            s.subscriptionId,
            named ? `token ${s.owner} is revoked` : 'the query is gone',
          );
          return;
        }
        const query = parseEventQuery(named.query);
        if (
          s.initialRecordTime &&
          (query.recordTime.ge === null || query.recordTime.ge < s.initialRecordTime)
        ) {
          query.recordTime.ge = s.initialRecordTime;
        }
        const events = await findLanded(pool, query, await visibilityOf(pool, who), {
          after: s.lastHeads,
          upTo,
        });
        if (events.length === 0 && !(scheduled && s.reportIfEmpty)) return;
        await post(s, events);
      } catch (err) {
        log.warn('subscription delivery failed', { subscriptionId: s.subscriptionId, error: oneLine(err) });
      } finally {
        inFlight.delete(s.subscriptionId);
      }
    })();
    deliveries.add(run);
    void run.finally(() => deliveries.delete(run));
    return run;
  }

  async function post(s: Subscription, events: JsonObject[]): Promise<void> {
    const body = JSON.stringify(
      queryDocument(events, { queryName: s.queryName, subscriptionID: s.subscriptionId }),
    );
    const result = await deliverImpl({
      url: s.dest,
      body,
      secret: s.secret,
      attempts,
      headers: { 'content-type': 'application/ld+json', 'gs1-signature': sign(body, s.secret) },
    });
    await recordDelivery(
      pool,
      s.subscriptionId,
      result.ok ? null : `${result.error} after ${result.attempts} attempts`,
    );
    if (!result.ok)
      log.warn('subscription webhook not delivered', {
        subscriptionId: s.subscriptionId,
        error: result.error,
      });
  }

  async function principal(name: string): Promise<Principal | null> {
    const r = await pool.query<Principal>(
      'SELECT name, role FROM ut.api_tokens WHERE name = $1 AND revoked_at IS NULL',
      [name],
    );
    return r.rows[0] ?? null;
  }

  async function tick(): Promise<void> {
    const now = new Date();
    const scheduled = (await listSubscriptions(pool)).filter((s) => s.schedule !== null);
    if (scheduled.length === 0) return;
    const upTo = await latestHeads(pool);
    for (const s of scheduled) {
      let c = compiled.get(s.subscriptionId);
      if (!c) {
        c = compileSchedule(s.schedule);
        compiled.set(s.subscriptionId, c);
      }
      if (scheduleMatches(c, now)) void serve(s, upTo, true);
    }
  }

  return {
    async start() {
      await connectListener();
      timer = setInterval(wake, pollMs);
      // Aligned to the second, so a schedule's second fires once.
      const align = () => {
        if (stopped) return;
        scheduleTimer = setTimeout(
          () => {
            void tick().catch((err) => log.warn('scheduled subscriptions failed', { error: oneLine(err) }));
            align();
          },
          1000 - (Date.now() % 1000) + 5,
        );
      };
      align();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (scheduleTimer) clearTimeout(scheduleTimer);
      await pumping;
      await Promise.allSettled([...deliveries]);
      await listener?.end().catch(() => {});
      sockets.clear();
    },
    async addSocket(s) {
      const subscriber: SocketSubscriber = { ...s, position: s.position ?? (await latestHeads(pool)) };
      sockets.add(subscriber);
      return subscriber;
    },
    removeSocket(s) {
      sockets.delete(s);
    },
    wake,
  };
}
