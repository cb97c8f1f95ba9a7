/**
 * The console feed after an action (libs/console/feed.ts): a read that began before a recall was
 * closed must not publish a frame showing it active after the close. The feed reads a real
 * PostgreSQL (a database of this test's own), Redis and Kafka; the pool handed to it holds the
 * answer of its recall list until the test lets it go, so a tick is caught with the state from
 * before the close, deterministically.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import { createFeed, type Feed, type Frame } from '../libs/console';
import { createKafka } from '../libs/kafka';
import { saveRecall, withDefaults, type Recall } from '../libs/recalls';
import { createSeenSet, type SeenSet } from '../libs/seenset';
import { gs1CheckDigit } from '../libs/gs1';
import { config, freshDatabase, waitFor } from './helpers';

jest.setTimeout(120_000);

const kafka = createKafka({ brokers: config.kafkaBrokers });
let db: Awaited<ReturnType<typeof freshDatabase>>;
let feed: Feed | undefined;
let seen: SeenSet | undefined;

/** The pool's recall list waits for `release` while a hold is set; every other query goes straight. */
function holdingRecallList(pool: pg.Pool) {
  let hold: { reached: () => void; released: Promise<void> } | null = null;
  const held = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
      return async (...args: unknown[]) => {
        const result: unknown = await (target.query as (...a: unknown[]) => Promise<unknown>).apply(
          target,
          args,
        );
        const h = hold;
        if (h && typeof args[0] === 'string' && args[0].includes('FROM ut.recalls')) {
          hold = null;
          h.reached();
          await h.released;
        }
        return result;
      };
    },
  });
  return {
    pool: held,
    /** The next recall list read waits; resolves once it has read, with the function that lets it go. */
    hold(): Promise<() => void> {
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      return new Promise((reached) => {
        hold = { reached: () => reached(release), released };
      });
    },
  };
}

beforeAll(async () => {
  db = await freshDatabase('feed');
});

afterAll(async () => {
  await feed?.stop();
  await seen?.close();
  await db?.drop();
});

it('publishes no frame read before a recall was closed once it is closed', async () => {
  const gtin13 = `9${String(crypto.randomInt(0, 10 ** 11)).padStart(11, '0')}`;
  const gtin = `0${gtin13}${gs1CheckDigit(`0${gtin13}`)}`;
  const recall: Recall = withDefaults({
    recallId: `R-FEED-${crypto.randomBytes(3).toString('hex').toUpperCase()}`,
    status: 'active',
    reason: 'console feed test',
    gtin,
    declaredAt: Date.now(),
  });
  await saveRecall(db.pool, recall);

  const { pool, hold } = holdingRecallList(db.pool);
  const frames: Frame[] = [];
  // Ticks only when asked (refresh), so the test decides which read is under way.
  seen = createSeenSet({ url: config.redisUrl, prefix: `ut:it-feed-${recall.recallId}:` });
  feed = createFeed({ pool, kafka, seen, tickMs: 3_600_000, landedEveryMs: 0 });
  feed.subscribe((f) => frames.push(f));
  const statusIn = (f: Frame) => f.recalls.find((r) => r.recall.recallId === recall.recallId)?.recall.status;
  await waitFor('the first frame', async () => feed!.current().frame !== null, {
    everyMs: 50,
    timeoutMs: 60_000,
  });
  expect(statusIn(feed.current().frame!)).toBe('active');

  // A tick reads the recall as active and is held before it publishes...
  const reached = hold();
  const stale = feed.refresh();
  const release = await reached;
  // ...the recall is closed, and the action asks for a fresh read, as the console's API does.
  await saveRecall(db.pool, { ...recall, status: 'closed', closedAt: Date.now() });
  const closedAt = frames.length;
  const fresh = feed.refresh();
  release();
  await Promise.all([stale, fresh]);

  const after = frames.slice(closedAt).map(statusIn);
  expect(after.length).toBeGreaterThan(0);
  expect(after).toEqual(after.map(() => 'closed'));
  expect(statusIn(feed.current().frame!)).toBe('closed');
});
