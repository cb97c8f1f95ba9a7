/** The seen-set against a real Redis. */
import crypto from 'node:crypto';
import { createSeenSet } from '../libs/seenset';
import { config, redis } from './helpers';

const prefix = `ut-test:${crypto.randomBytes(4).toString('hex')}:`;
const seen = createSeenSet({ url: config.redisUrl, ttlSeconds: 3600, prefix });
const r = redis();
afterAll(async () => {
  const keys = await r.keys(`${prefix}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  await seen.close();
});

describe('seen-set', () => {
  it('tells a first sighting, a replay of the same record and a true duplicate apart', async () => {
    const h = crypto.randomBytes(32).toString('hex');
    expect(await seen.claim([{ eventHash: h, claimant: 'raw/0/1', label: 'MES|m1' }])).toEqual(['first']);
    expect(await seen.claim([{ eventHash: h, claimant: 'raw/0/1', label: 'MES|m1' }])).toEqual(['replay']);
    expect(await seen.claim([{ eventHash: h, claimant: 'raw/0/2', label: 'MES|m1' }])).toEqual(['duplicate']);
  });

  it('counts a duplicate once even when it is replayed, by label', async () => {
    const h = crypto.randomBytes(32).toString('hex');
    await seen.claim([{ eventHash: h, claimant: 'raw/1/1', label: 'WMS|s7' }]);
    const before = (await seen.stats()).byLabel['WMS|s7'] ?? 0;
    await seen.claim([{ eventHash: h, claimant: 'raw/1/2', label: 'WMS|s7' }]);
    await seen.claim([{ eventHash: h, claimant: 'raw/1/2', label: 'WMS|s7' }]);
    expect((await seen.stats()).byLabel['WMS|s7']).toBe(before + 1);
  });

  it('passes a claim to the DLQ replay of the record that held it, once', async () => {
    const h = crypto.randomBytes(32).toString('hex');
    const claim = (claimant: string, replayOf: string | null = null) =>
      seen.claim([{ eventHash: h, claimant, label: 'x', replayOf }]);
    expect(await claim('raw/3/1')).toEqual(['first']);
    // raw/3/1 failed for good after its claim; replayed from the DLQ it is raw/3/9.
    expect(await claim('raw/3/9', 'raw/3/1')).toEqual(['first']);
    expect(await claim('raw/3/9', 'raw/3/1')).toEqual(['replay']); // a crash replay of the replay
    // A second replay of the same DLQ record, or a replay naming another claimant: duplicates.
    expect(await claim('raw/3/12', 'raw/3/1')).toEqual(['duplicate']);
    expect(await claim('raw/3/13', 'raw/3/5')).toEqual(['duplicate']);
    // A replay of a record that never claimed (refused by the validator) is a first sighting.
    const fresh = crypto.randomBytes(32).toString('hex');
    expect(
      await seen.claim([{ eventHash: fresh, claimant: 'raw/3/20', label: 'x', replayOf: 'raw/3/2' }]),
    ).toEqual(['first']);
  });

  it('decides within one batch in order and sets the TTL window', async () => {
    const h = crypto.randomBytes(32).toString('hex');
    const res = await seen.claim([
      { eventHash: h, claimant: 'raw/2/1', label: 'x' },
      { eventHash: h, claimant: 'raw/2/2', label: 'x' },
    ]);
    expect(res).toEqual(['first', 'duplicate']);
    const ttl = await r.ttl(`${prefix}seen:${h}`);
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it('fails with a retriable error while Redis is unreachable', async () => {
    const dead = createSeenSet({ url: 'redis://127.0.0.1:1/0', prefix });
    await expect(dead.claim([{ eventHash: 'a', claimant: 'b', label: 'c' }])).rejects.toMatchObject({
      retriable: true,
      code: 'DEPENDENCY_REDIS',
    });
    await dead.close();
  });
});

describe('seen-set, first use', () => {
  it('answers calls made together while it first connects (a health check and the first batch)', async () => {
    const fresh = createSeenSet({ url: config.redisUrl, ttlSeconds: 3600, prefix });
    try {
      const h = crypto.randomBytes(32).toString('hex');
      const [pong, claimed, stats] = await Promise.all([
        fresh.ping(),
        fresh.claim([{ eventHash: h, claimant: 'raw/9/1', label: 'x' }]),
        fresh.stats(),
      ]);
      expect(pong).toBe(true);
      expect(claimed).toEqual(['first']);
      expect(typeof stats.duplicates).toBe('number');
    } finally {
      await fresh.close();
    }
  });
});
