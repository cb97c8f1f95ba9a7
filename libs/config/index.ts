/**
 * All configuration comes from the environment, read here once and validated at start-up.
 * Each setting is declared as a spec (name, description, default); `unitrail config` prints
 * them, and the README's table is generated from the same list, so docs cannot drift.
 */
import fs from 'node:fs';
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

const oneOf =
  <T extends string>(values: readonly T[]) =>
  (raw: string, env: string): T => {
    const v = raw.trim().toLowerCase() as T;
    if (!values.includes(v)) throw new ConfigError(`${env}=${raw} must be one of ${values.join(', ')}`);
    return v;
  };
const bool = (raw: string, env: string): boolean => {
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${env}=${raw} must be true or false`);
};
/** A PEM file, read at start-up so a wrong path is told at once, not at the first connection. */
const pemFile = (raw: string, env: string): string | undefined => {
  if (raw === '') return undefined;
  let text: string;
  try {
    text = fs.readFileSync(raw, 'utf8');
  } catch (err) {
    throw new ConfigError(`${env}=${raw} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!text.includes('-----BEGIN ')) throw new ConfigError(`${env}=${raw} is not a PEM file`);
  return text;
};
const optional = (raw: string) => (raw === '' ? undefined : raw);
const decimal =
  ({ min = 0, max = Number.MAX_VALUE }: { min?: number; max?: number } = {}) =>
  (raw: string, env: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new ConfigError(`${env}=${raw} is not a number from ${min} to ${max}`);
    }
    return n;
  };

export const KAFKA_SASL_MECHANISMS = ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const;
export const DATABASE_SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;

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
  kafkaSaslMechanism: {
    env: 'KAFKA_SASL_MECHANISM',
    description:
      'Kafka SASL: none, plain, scram-sha-256 or scram-sha-512 (with KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD)',
    default: 'none',
    parse: oneOf(KAFKA_SASL_MECHANISMS),
  },
  kafkaSaslUsername: {
    env: 'KAFKA_SASL_USERNAME',
    description: 'Kafka SASL user (required when KAFKA_SASL_MECHANISM is not none)',
    default: '',
    parse: optional,
  },
  kafkaSaslPassword: {
    env: 'KAFKA_SASL_PASSWORD',
    description: 'Kafka SASL password (required when KAFKA_SASL_MECHANISM is not none; never printed)',
    default: '',
    parse: optional,
  },
  kafkaTls: {
    env: 'KAFKA_TLS',
    description: 'Connect to Kafka over TLS (SSL or SASL_SSL listeners); the server certificate is verified',
    default: 'false',
    parse: bool,
  },
  kafkaTlsCaFile: {
    env: 'KAFKA_TLS_CA_FILE',
    description: "PEM of the CA that signed the brokers' certificates (default: the system's CAs)",
    default: '',
    parse: pemFile,
  },
  kafkaTlsCertFile: {
    env: 'KAFKA_TLS_CERT_FILE',
    description: 'PEM client certificate for mutual TLS (with KAFKA_TLS_KEY_FILE)',
    default: '',
    parse: pemFile,
  },
  kafkaTlsKeyFile: {
    env: 'KAFKA_TLS_KEY_FILE',
    description: 'PEM private key of KAFKA_TLS_CERT_FILE',
    default: '',
    parse: pemFile,
  },
  databaseSslMode: {
    env: 'DATABASE_SSL_MODE',
    description:
      "TLS to PostgreSQL, as libpq's sslmode: disable, require (encrypt, no check), verify-ca, verify-full (CA and host name)",
    default: 'disable',
    parse: oneOf(DATABASE_SSL_MODES),
  },
  databaseSslCaFile: {
    env: 'DATABASE_SSL_CA_FILE',
    description: "PEM of the CA that signed PostgreSQL's certificate (verify-ca / verify-full)",
    default: '',
    parse: pemFile,
  },
  redisPassword: {
    env: 'REDIS_PASSWORD',
    description:
      'Redis AUTH password (with REDIS_USERNAME for an ACL user); or put them in REDIS_URL. Use rediss:// for TLS',
    default: '',
    parse: optional,
  },
  redisUsername: {
    env: 'REDIS_USERNAME',
    description: 'Redis ACL user for AUTH (Redis 6+); empty: the default user',
    default: '',
    parse: optional,
  },
  redisTlsCaFile: {
    env: 'REDIS_TLS_CA_FILE',
    description: "PEM of the CA that signed Redis's certificate (with a rediss:// REDIS_URL)",
    default: '',
    parse: pemFile,
  },
  metricsPort: {
    env: 'METRICS_PORT',
    description:
      "Port of a stage's /metrics and /healthz (0: any free port; `unitrail run` picks one per stage)",
    default: '0',
    parse: int({ max: 65535 }),
  },
  stageNice: {
    env: 'STAGE_NICE',
    description:
      "Scheduling niceness (0-19) every consumer stage's process takes (`unitrail run STAGE`, the fused pipeline; not the HTTP services): on a box shared with interactive work (journey and lot queries, the console), the pipeline's bulk work yields the CPU to it. A background stage takes the larger of this and BACKGROUND_NICE (0: none; docs/operations.md)",
    default: '0',
    parse: int({ max: 19 }),
  },
  backgroundNice: {
    env: 'BACKGROUND_NICE',
    description:
      'Scheduling niceness (0-19) a background stage (the surge sink) takes in its own process: a surge drains on the CPU the normal flow leaves, which keeps its latency (0: none)',
    default: '10',
    parse: int({ min: 0, max: 19 }),
  },
  backgroundConcurrency: {
    env: 'BACKGROUND_CONCURRENCY',
    description:
      "Partitions a background stage's process (the surge sink) writes at once (1-64): each is a PostgreSQL transaction at full priority beside the normal flow's; more surge consumers, not more per consumer, drain faster",
    default: '1',
    parse: int({ min: 1, max: 64 }),
  },
  backgroundSessionTimeoutMs: {
    env: 'BACKGROUND_SESSION_TIMEOUT_MS',
    description:
      'KAFKA_SESSION_TIMEOUT_MS of a background stage: niced, it may wait seconds for a core during a surge, and an eviction stops its whole group for a rebalance',
    default: '30000',
    parse: int({ min: 6000, max: 300000 }),
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
  kafkaSessionTimeoutMs: {
    env: 'KAFKA_SESSION_TIMEOUT_MS',
    description:
      'How soon Kafka takes a silent stage (a SIGKILLed process, a lost host) for dead and gives its partitions to the others',
    default: '15000',
    parse: int({ min: 6000, max: 300000 }),
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
  deviceBaselineReads: {
    env: 'DEVICE_BASELINE_READS',
    description:
      "device-health: verifications (and graded reads) in a device's first window, from which its no-read and print-grade baselines are learnt",
    default: '500',
    parse: int({ min: 50, max: 1000000 }),
  },
  deviceNoReadRise: {
    env: 'DEVICE_NOREAD_RISE',
    description:
      'device-health: rise of the no-read rate over the baseline that the Bernoulli CUSUM looks for (0.05: five points)',
    default: '0.05',
    parse: decimal({ min: 0.001, max: 0.9 }),
  },
  deviceNoReadFloor: {
    env: 'DEVICE_NOREAD_FLOOR',
    description:
      'device-health: lowest baseline no-read rate assumed (a first window with almost no no-reads must not make every later one an alarm)',
    default: '0.01',
    parse: decimal({ min: 0.0001, max: 0.5 }),
  },
  deviceGradeDrop: {
    env: 'DEVICE_GRADE_DROP',
    description:
      'device-health: drop of the mean print grade (A=4 .. F=0) below the baseline that is an alarm',
    default: '0.5',
    parse: decimal({ min: 0.05, max: 4 }),
  },
  deviceGradeSubgroup: {
    env: 'DEVICE_GRADE_SUBGROUP',
    description: 'device-health: graded reads per subgroup mean of the print-grade CUSUM',
    default: '25',
    parse: int({ min: 2, max: 10000 }),
  },
  deviceCusumH: {
    env: 'DEVICE_CUSUM_H',
    description:
      'device-health: decision threshold of both CUSUMs (no-read: log-likelihood ratio; grade: standard errors); higher: fewer false alarms, later alarms',
    default: '12',
    parse: decimal({ min: 1, max: 1000 }),
  },
  deviceDriftSecondsPerHour: {
    env: 'DEVICE_DRIFT_SECONDS_PER_HOUR',
    description:
      "device-health: a device's clock drifts when the Theil–Sen slope of its offset to the broker's receive time moves this far from its baseline",
    default: '10',
    parse: decimal({ min: 0.1, max: 3600 }),
  },
  deviceClockWindowMinutes: {
    env: 'DEVICE_CLOCK_WINDOW_MINUTES',
    description: 'device-health: broker-time window of the clock-offset slope',
    default: '60',
    parse: int({ min: 5, max: 10080 }),
  },
  deviceClockMinSpanMinutes: {
    env: 'DEVICE_CLOCK_MIN_SPAN_MINUTES',
    description:
      'device-health: least broker time a clock window must span before its slope counts (a burst of records says nothing per hour)',
    default: '30',
    parse: int({ min: 1, max: 10080 }),
  },
  deviceClockConfirm: {
    env: 'DEVICE_CLOCK_CONFIRM',
    description:
      'device-health: consecutive clock evaluations over (or under half) the threshold that raise (or clear) a drift alert',
    default: '3',
    parse: int({ min: 1, max: 100 }),
  },
  deviceSilentMinutes: {
    env: 'DEVICE_SILENT_MINUTES',
    description:
      'device-health: broker minutes without a record (and at least 20 of its typical gaps) while its site keeps sending, before a device is silent (judged against the watermark of every stream read, docs/devices.md); 0: silence is not judged',
    default: '60',
    parse: int({ min: 0, max: 100000 }),
  },
  consolePort: {
    env: 'CONSOLE_PORT',
    description:
      'Port of the operations console (`unitrail run console`): the web page, its API and live feed',
    default: '8092',
    parse: int({ max: 65535 }),
  },
  consoleLandedEveryMs: {
    env: 'CONSOLE_LANDED_EVERY_MS',
    description:
      "How often the console's feed looks for newly landed events between its once-a-second ticks (0: at ticks only)",
    default: '200',
    parse: int({ min: 0, max: 10000 }),
  },
  capturePort: {
    env: 'CAPTURE_PORT',
    description:
      'Port of the EPCIS capture and query API (`unitrail run capture-api`), its /healthz and /metrics',
    default: '8090',
    parse: int({ max: 65535 }),
  },
  captureMaxBytes: {
    env: 'CAPTURE_MAX_BYTES',
    description: 'Largest EPCIS document the capture API accepts (413 above)',
    default: '10485760',
    parse: int({ min: 1024, max: 512 * 1024 * 1024 }),
  },
  opsPort: {
    env: 'OPS_PORT',
    description: 'Port of the ops API (`unitrail run ops-api`), its /healthz and /metrics',
    default: '8091',
    parse: int({ max: 65535 }),
  },
  webhookSecret: {
    env: 'UNITRAIL_WEBHOOK_SECRET',
    description: 'Signs partner webhooks of partners without a webhookSecret of their own',
    default: '',
    parse: optional,
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
  const config = out as Config;
  checkTogether(config);
  return config;
}

/** Settings that only make sense together. */
function checkTogether(c: Config): void {
  if (c.kafkaSaslMechanism !== 'none' && (!c.kafkaSaslUsername || !c.kafkaSaslPassword)) {
    throw new ConfigError(
      `KAFKA_SASL_MECHANISM=${c.kafkaSaslMechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
    );
  }
  if (Boolean(c.kafkaTlsCertFile) !== Boolean(c.kafkaTlsKeyFile)) {
    throw new ConfigError('KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together (mutual TLS needs both)');
  }
  if ((c.kafkaTlsCaFile || c.kafkaTlsCertFile) && !c.kafkaTls) {
    throw new ConfigError('KAFKA_TLS_CA_FILE / KAFKA_TLS_CERT_FILE are set but KAFKA_TLS is false');
  }
  if (c.databaseSslCaFile && !c.databaseSslMode.startsWith('verify')) {
    throw new ConfigError(
      `DATABASE_SSL_CA_FILE is set but DATABASE_SSL_MODE=${c.databaseSslMode} does not verify; use verify-ca or verify-full`,
    );
  }
  if (c.redisTlsCaFile && !c.redisUrl.startsWith('rediss:')) {
    throw new ConfigError('REDIS_TLS_CA_FILE is set but REDIS_URL does not start with rediss:// (TLS)');
  }
}

/** Markdown table of the settings, for the README and `unitrail config`. */
export function describeSettings(): string {
  const rows = Object.values(settings).map(
    (s) => `| \`${s.env}\` | ${s.default === '' ? '(none)' : `\`${s.default}\``} | ${s.description} |`,
  );
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
