/**
 * The deduplicator's seen-set in Redis. Each event hash remembers *which record claimed it*: the
 * raw record's lineage (source topic/partition/offset). That claimant is stable across replays of
 * every stage upstream, so:
 *   - the same raw record seen again (a crash replay anywhere before the sink) → 'replay': forward;
 *   - another raw record with the same hash → 'duplicate': drop, counted once per record;
 *   - a record replayed from the DLQ (a new raw record) whose original failed for good after its
 *     claim (the fused pipeline: enricher, router or sink) → 'first', once: the claim passes to it.
 * Claims expire after the TTL window, so memory stays bounded.
 */
import Redis, { type RedisOptions } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { DependencyError } from '../errors';
import type { Config } from '../config';
import { withAdmin } from '../kafka';

export type ClaimResult = 'first' | 'replay' | 'duplicate';

export interface Claim {
  eventHash: string;
  /** Stable identity of the record making the claim, e.g. "ut.raw.mes.v1/2/1234". */
  claimant: string;
  /** Metric label for duplicate counts, e.g. "MES|line-3-printer". */
  label: string;
  /**
   * The claimant of the record this one replays from the DLQ (its header REPLAY_CLAIMANT_HEADER):
   * a claim that record still holds passes to this one, once; it never landed, it was set apart.
   */
  replayOf?: string | null;
}

/**
 * Set by `unitrail dlq replay` on each record it sends back: the raw coordinates (topic/partition/
 * offset) of the record that failed, i.e. its claimant. The validator hands it on to the deduplicator.
 */
export const REPLAY_CLAIMANT_HEADER = 'ut-replay-claimant';

// One round trip per batch. Keys: seen:<hash> → claimant; dup:<claimant> marks a counted duplicate
// so a replayed duplicate is not counted twice; stats hash counts duplicates by label. A DLQ replay
// takes over its original's claim (compare and set), so a second replay of it is a duplicate again.
const CLAIM_SCRIPT = `
local ttl = tonumber(ARGV[1])
local prefix = ARGV[2]
local out = {}
local n = (#ARGV - 2) / 4
for i = 1, n do
  local hash = ARGV[3 + (i - 1) * 4]
  local claimant = ARGV[4 + (i - 1) * 4]
  local label = ARGV[5 + (i - 1) * 4]
  local replayOf = ARGV[6 + (i - 1) * 4]
  local key = prefix .. 'seen:' .. hash
  if redis.call('SET', key, claimant, 'NX', 'EX', ttl) then
    out[i] = 'first'
  else
    local holder = redis.call('GET', key)
    if holder == claimant then
      out[i] = 'replay'
    elseif replayOf ~= '' and holder == replayOf then
      redis.call('SET', key, claimant, 'EX', ttl)
      out[i] = 'first'
    else
      if redis.call('SET', prefix .. 'dup:' .. claimant, hash, 'NX', 'EX', ttl) then
        redis.call('HINCRBY', prefix .. 'stats', 'duplicates', 1)
        redis.call('HINCRBY', prefix .. 'stats', 'duplicates|' .. label, 1)
      end
      out[i] = 'duplicate'
    end
  end
end
return out
`;

export interface SeenSet {
  claim(claims: Claim[]): Promise<ClaimResult[]>;
  /** Duplicates dropped: total and by label. */
  stats(): Promise<{ duplicates: number; byLabel: Record<string, number> }>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * AUTH and TLS of the configured Redis, as ioredis takes them: REDIS_USERNAME / REDIS_PASSWORD
 * (or the URL's user:password), and with a rediss:// URL, TLS verified against REDIS_TLS_CA_FILE
 * when given (otherwise the system's CAs).
 */
export function redisConnection(
  config: Pick<Config, 'redisUrl' | 'redisUsername' | 'redisPassword' | 'redisTlsCaFile'>,
): { url: string } & Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  return {
    url: config.redisUrl,
    ...(config.redisUsername ? { username: config.redisUsername } : {}),
    ...(config.redisPassword ? { password: config.redisPassword } : {}),
    ...(config.redisUrl.startsWith('rediss:')
      ? { tls: config.redisTlsCaFile ? { ca: [config.redisTlsCaFile] } : {} }
      : {}),
  };
}

export function createSeenSet({
  url,
  ttlSeconds = 7 * 24 * 3600,
  prefix = 'ut:',
  username,
  password,
  tls,
}: {
  url: string;
  ttlSeconds?: number;
  prefix?: string;
} & Pick<RedisOptions, 'username' | 'password' | 'tls'>): SeenSet {
  // No offline queue and fast failure: while Redis is down the runtime pauses and retries the
  // batch itself, so nothing passes unchecked and nothing waits in a hidden queue.
  const redis = new Redis(url, {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(tls ? { tls } : {}),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 5000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  redis.on('error', () => {}); // reported through the failing commands instead
  // Calls made together while the connection opens (a health check and the first batch) wait for
  // the same connect; with no offline queue, the second would otherwise fail and its batch retry.
  // A connection lost later fails fast as before: nothing waits in a hidden queue.
  let connecting: Promise<void> | null = null;
  const ensure = async () => {
    if (redis.status === 'wait' || redis.status === 'end') {
      connecting = redis.connect().catch(() => {});
    }
    if (redis.status === 'connecting' || redis.status === 'connect') await connecting;
  };
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    await ensure();
    try {
      return await fn();
    } catch (err) {
      throw new DependencyError(
        'redis',
        `${what} failed (${(err as Error).message}); retrying until ${url} answers`,
        err,
      );
    }
  };
  return {
    claim: (claims) =>
      claims.length === 0
        ? Promise.resolve([])
        : wrap('seen-set claim', async () => {
            const args = claims.flatMap((c) => [c.eventHash, c.claimant, c.label, c.replayOf ?? '']);
            return (await redis.eval(CLAIM_SCRIPT, 0, ttlSeconds, prefix, ...args)) as ClaimResult[];
          }),
    stats: () =>
      wrap('seen-set stats', async () => {
        const all = await redis.hgetall(`${prefix}stats`);
        const byLabel: Record<string, number> = {};
        for (const [k, v] of Object.entries(all))
          if (k.startsWith('duplicates|')) byLabel[k.slice(11)] = Number(v);
        return { duplicates: Number(all.duplicates ?? 0), byLabel };
      }),
    ping: async () => {
      try {
        await ensure();
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    close: async () => {
      redis.disconnect();
    },
  };
}

/**
 * The seen-set's key prefix for one Kafka cluster. Claimants are raw-record coordinates, which a
 * rebuilt cluster hands out again from offset 0; keying by cluster id keeps an old incarnation's
 * claims and duplicate marks from being taken for the new one's.
 */
export async function seenSetPrefix(kafka: Kafka): Promise<string> {
  const { clusterId } = await withAdmin(kafka, (admin) => admin.describeCluster());
  return `ut:${clusterId}:`;
}

/** The short hex part of an EPCIS hash id, to keep Redis keys small. */
export function hashKey(eventId: string): string {
  const m = /sha-256;([0-9a-f]{64})/.exec(eventId);
  return m ? m[1]! : eventId;
}
