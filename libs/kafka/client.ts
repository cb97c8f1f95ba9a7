/** Kafka clients: connection settings (SASL, TLS), one-line connection errors, an admin for one call. */
import { Kafka, logLevel, type Admin, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type tls from 'node:tls';
import { DependencyError, UnitrailError } from '../errors';
import type { Config } from '../config';
import { createLogger } from '../log';
import { encodeProduceInOnePass } from './produce-encoding';
import { stopIdleRequestQueueTimers } from './request-queue';

const log = createLogger({ component: 'kafka' });
// We use kafkajs' default (murmur2, Java-compatible) partitioner on purpose; its v2 migration notice is noise.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
// Every client of this process: no once-a-millisecond timer per connection (see request-queue.ts).
stopIdleRequestQueueTimers();
// Every Produce request of this process in one pass, the bytes kafkajs would write (produce-encoding.ts).
encodeProduceInOnePass();

/** How to reach and authenticate to the cluster: SASL (PLAIN, SCRAM) and TLS, as kafkajs takes them. */
export interface KafkaSecurity {
  sasl?: SASLOptions;
  ssl?: boolean | tls.ConnectionOptions;
}

/** The connection settings of `config` for createKafka: `createKafka({ ...kafkaConnection(config), clientId })`. */
export function kafkaConnection(
  config: Pick<
    Config,
    | 'kafkaBrokers'
    | 'kafkaSaslMechanism'
    | 'kafkaSaslUsername'
    | 'kafkaSaslPassword'
    | 'kafkaTls'
    | 'kafkaTlsCaFile'
    | 'kafkaTlsCertFile'
    | 'kafkaTlsKeyFile'
  >,
): { brokers: string[] } & KafkaSecurity {
  const { kafkaSaslMechanism: mechanism, kafkaSaslUsername: username, kafkaSaslPassword: password } = config;
  const sasl: SASLOptions | undefined =
    mechanism === 'none' ? undefined : { mechanism, username: username ?? '', password: password ?? '' };
  const custom = config.kafkaTlsCaFile || config.kafkaTlsCertFile;
  const ssl = !config.kafkaTls
    ? undefined
    : custom
      ? {
          ...(config.kafkaTlsCaFile ? { ca: [config.kafkaTlsCaFile] } : {}),
          ...(config.kafkaTlsCertFile ? { cert: config.kafkaTlsCertFile, key: config.kafkaTlsKeyFile } : {}),
        }
      : true;
  return { brokers: config.kafkaBrokers, ...(sasl ? { sasl } : {}), ...(ssl ? { ssl } : {}) };
}

/**
 * A refused login is a person's mistake, not an outage: one line naming what to fix, not retried.
 * Classified by kafkajs' error type.
 */
export function kafkaConnectError(err: unknown, brokers: string[], sasl?: SASLOptions): UnitrailError {
  const name = (err as { name?: string } | null)?.name;
  if (name === 'KafkaJSSASLAuthenticationError') {
    const who = sasl && 'username' in sasl ? ` as '${sasl.username}'` : '';
    return new UnitrailError(
      'KAFKA_AUTH',
      `kafka: ${brokers.join(',')} refused the login${who} with ${sasl?.mechanism.toUpperCase() ?? 'SASL'}: check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
      { cause: err },
    );
  }
  return new DependencyError(
    'kafka',
    `cannot connect to ${brokers.join(',')} (is the stack up? 'unitrail stack up')`,
    err,
  );
}

/** What each client was made with, so a refused connection can be told in terms of the settings. */
const connectionOf = new WeakMap<Kafka, { brokers: string[]; sasl?: SASLOptions }>();

export function createKafka({
  brokers,
  clientId = 'unitrail',
  sasl,
  ssl,
}: {
  brokers: string[];
  clientId?: string;
} & KafkaSecurity): Kafka {
  const security: Pick<KafkaConfig, 'sasl' | 'ssl'> = { ...(sasl ? { sasl } : {}), ...(ssl ? { ssl } : {}) };
  const kafka = new Kafka({
    clientId,
    brokers,
    ...security,
    connectionTimeout: 3000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        // kafkajs reports transient coordinator moves at ERROR; they are retried, so warn.
        const fields = { ...rest, kafkaLevel: level };
        if (level <= logLevel.WARN) log.warn(message, fields);
        else log.debug(message, fields);
      },
  });
  connectionOf.set(kafka, { brokers, sasl });
  return kafka;
}

export async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (err) {
    const { brokers, sasl } = connectionOf.get(kafka) ?? { brokers: [] };
    throw kafkaConnectError(err, brokers, sasl);
  }
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}
