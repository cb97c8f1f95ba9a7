/**
 * All configuration comes from the environment, read here once and validated at start-up.
 * Each setting is declared as a spec (name, description, default); `unitrail config` prints
 * them, and the README's table is generated from the same list, so docs cannot drift.
 */
import { ConfigError } from '../errors';

export interface SettingSpec<T> {
  env: string;
  description: string;
  default: string;
  parse: (raw: string, env: string) => T;
}

const str = (raw: string) => raw;
const int =
  ({ min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {}) =>
  (raw: string, env: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${env}=${raw} is not a whole number from ${min} to ${max}`);
    }
    return n;
  };
const url =
  (protocols: string[]) =>
  (raw: string, env: string): string => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(`${env}=${raw} is not a URL (expected e.g. ${protocols[0]}//host:port)`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new ConfigError(`${env}=${raw} must start with ${protocols.join(' or ')}`);
    }
    return raw;
  };
const brokers = (raw: string, env: string): string[] => {
  const list = raw
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (list.length === 0 || list.some((b) => !/^[^\s:]+:\d+$/.test(b))) {
    throw new ConfigError(`${env}=${raw} must be a comma-separated list of host:port`);
  }
  return list;
};

export const settings = {
  kafkaBrokers: {
    env: 'KAFKA_BROKERS',
    description: 'Kafka bootstrap servers, comma-separated host:port',
    default: '127.0.0.1:9092',
    parse: brokers,
  },
  schemaRegistryUrl: {
    env: 'SCHEMA_REGISTRY_URL',
    description: 'Schema registry with the Confluent REST API (Apicurio: its /apis/ccompat/v7 path)',
    default: 'http://127.0.0.1:8081/apis/ccompat/v7',
    parse: url(['http:', 'https:']),
  },
  databaseUrl: {
    env: 'DATABASE_URL',
    description: 'PostgreSQL connection URL of the journey store (the database is created by `stack up`)',
    default: 'postgresql://postgres@127.0.0.1:5432/unitrail',
    parse: url(['postgres:', 'postgresql:']),
  },
  redisUrl: {
    env: 'REDIS_URL',
    description: 'Redis URL of the deduplicator seen-set',
    default: 'redis://127.0.0.1:6379/0',
    parse: url(['redis:', 'rediss:']),
  },
  metricsPort: {
    env: 'METRICS_PORT',
    description:
      "Port of a stage's /metrics and /healthz (0: any free port; `unitrail run` picks one per stage)",
    default: '0',
    parse: int({ max: 65535 }),
  },
  batchSize: {
    env: 'BATCH_SIZE',
    description: 'Most records a stage handles in one batch before producing and committing',
    default: '500',
    parse: int({ min: 1, max: 100000 }),
  },
  fetchMinBytes: {
    env: 'FETCH_MIN_BYTES',
    description:
      'A stage asks Kafka for at least this much per fetch (bigger batches, fewer round trips per record)',
    default: '65536',
    parse: int({ min: 1 }),
  },
  fetchMaxWaitMs: {
    env: 'FETCH_MAX_WAIT_MS',
    description: 'How long Kafka may wait to fill FETCH_MIN_BYTES: the most a quiet stream adds per stage',
    default: '100',
    parse: int({ min: 0, max: 10000 }),
  },
  unhealthyAfterSeconds: {
    env: 'UNHEALTHY_AFTER_SECONDS',
    description:
      "A stage's /healthz answers 503 once one batch has been retried this long (a dependency down), or a crashed consumer has not recovered this long",
    default: '60',
    parse: int({ min: 1, max: 86400 }),
  },
  dedupTtlSeconds: {
    env: 'DEDUP_TTL_SECONDS',
    description: 'How long the deduplicator remembers an event hash (the duplicate window)',
    default: String(7 * 24 * 3600),
    parse: int({ min: 60 }),
  },
  clockSkewSeconds: {
    env: 'CLOCK_SKEW_SECONDS',
    description: 'How far in the future an event time may be before it is rejected',
    default: '300',
    parse: int(),
  },
  horizonDays: {
    env: 'EVENT_HORIZON_DAYS',
    description: 'How old an event time may be before it is rejected',
    default: '3650',
    parse: int({ min: 1 }),
  },
  ownSources: {
    env: 'OWN_SOURCES',
    description:
      "Our own systems: their GTINs, sites and devices must be in master data, their event times within the horizon (partners' EPCIS may carry others' keys and historic events)",
    default: 'MES,WMS,TMS',
    parse: (raw: string) =>
      raw
        .split(',')
        .map((s) => s.trim().toUpperCase())
        .filter(Boolean),
  },
  consolePort: {
    env: 'CONSOLE_PORT',
    description:
      'Port of the operations console (`unitrail run console`): the web page, its API and live feed',
    default: '8092',
    parse: int({ max: 65535 }),
  },
  stateDir: {
    env: 'UNITRAIL_STATE_DIR',
    description: 'Where the local stack keeps its data, logs and pids',
    default: 'deploy/local/.data',
    parse: str,
  },
} satisfies Record<string, SettingSpec<unknown>>;

type Settings = typeof settings;
export type Config = { [K in keyof Settings]: ReturnType<Settings[K]['parse']> };

/** Reads and validates every setting; throws ConfigError naming the first bad one. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(settings) as [string, SettingSpec<unknown>][]) {
    const raw = env[spec.env];
    out[key] = spec.parse(raw === undefined || raw === '' ? spec.default : raw, spec.env);
  }
  return out as Config;
}

/** Markdown table of the settings, for the README and `unitrail config`. */
export function describeSettings(): string {
  const rows = Object.values(settings).map((s) => `| \`${s.env}\` | \`${s.default}\` | ${s.description} |`);
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
