/** Apache Kafka as one KRaft node (broker and controller in one JVM) on loopback. */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { UnitrailError, oneLine } from '../errors';

const run = promisify(execFile);

export interface KafkaLayout {
  host: string;
  port: number;
  controllerPort: number;
  /** Kafka's log.dirs: the partitions' data. */
  dataDir: string;
  /** A second listener, SASL_PLAINTEXT with SCRAM-SHA-256/512 and PLAIN, to prove secured client settings. */
  saslPort?: number;
}

/** The local stack's SASL user (loopback only; a real cluster has its own): SCRAM and PLAIN. */
export const LOCAL_SASL_USER = { username: 'unitrail', password: 'unitrail-local' } as const;

/**
 * server.properties of a single-node KRaft cluster. Topics are created by `unitrail`'s topic
 * registry, never by a typo in a producer, hence auto.create.topics.enable=false; internal
 * topics get replication factor 1 because there is one broker.
 */
export function kafkaServerProperties(
  { host, port, controllerPort, dataDir, saslPort }: KafkaLayout,
  numPartitions = 3,
): string {
  const sasl = saslPort ? `,SASL_PLAINTEXT://${host}:${saslPort}` : '';
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${host}:${controllerPort}`,
    listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}${sasl}`,
    'advertised.listeners': `PLAINTEXT://${host}:${port}${sasl}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': `PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${saslPort ? ',SASL_PLAINTEXT:SASL_PLAINTEXT' : ''}`,
    ...(saslPort
      ? {
          'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
          // SCRAM users live in the cluster metadata (created by `stack up` with kafka-configs);
          // PLAIN's one user is declared here.
          'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config':
            'org.apache.kafka.common.security.scram.ScramLoginModule required;',
          'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config':
            'org.apache.kafka.common.security.scram.ScramLoginModule required;',
          'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${LOCAL_SASL_USER.username}="${LOCAL_SASL_USER.password}";`,
        }
      : {}),
    'log.dirs': dataDir,
    'num.partitions': numPartitions,
    'auto.create.topics.enable': false,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // a lone consumer group member should not wait 3 s for others that never come
    'group.initial.rebalance.delay.ms': 0,
  };
  const lines = Object.entries(props).map(([k, v]) => `${k}=${String(v).replace(/\\/g, '\\\\')}`);
  return ['# Written by `unitrail stack up`; edits are overwritten.', ...lines, ''].join('\n');
}

/** A Kafka cluster id: 16 random bytes, URL-safe base64 without padding, as `kafka-storage random-uuid` makes. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // Kafka rejects ids that look like command-line flags
  }
}

export function isFormatted(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, 'meta.properties'));
}

/** `kafka-storage format`, once: writes meta.properties and the bootstrap metadata into the data dir. */
export async function formatStorage(java: string, jarsDir: string, propertiesFile: string): Promise<void> {
  try {
    await run(
      java,
      [
        '-cp',
        `${jarsDir}/*`,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        newClusterId(),
        '-c',
        propertiesFile,
      ],
      { timeout: 120_000 },
    );
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new UnitrailError(
      'STACK_KAFKA_FORMAT',
      `kafka: formatting its storage failed: ${oneLine(stderr || stdout || err)}`,
    );
  }
}

export function kafkaJavaArgs(
  jarsDir: string,
  propertiesFile: string,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const heap = (env.KAFKA_HEAP_OPTS ?? '-Xms256m -Xmx512m').split(/\s+/).filter(Boolean);
  return [
    ...heap,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    '-cp',
    `${jarsDir}/*`,
    'kafka.Kafka',
    propertiesFile,
  ];
}

/**
 * Creates (or resets) the local SASL user's SCRAM credentials with kafka-configs, against the
 * running broker: idempotent, so every `stack up` that starts the broker can run it.
 */
export async function createScramUser(java: string, jarsDir: string, bootstrap: string): Promise<void> {
  const { username, password } = LOCAL_SASL_USER;
  // One mechanism per request: the broker refuses to alter one user's credentials twice in a request.
  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
    try {
      await run(
        java,
        [
          '-Xmx128m',
          '-cp',
          `${jarsDir}/*`,
          'org.apache.kafka.tools.ConfigCommand',
          '--bootstrap-server',
          bootstrap,
          '--alter',
          '--add-config',
          `${mechanism}=[password=${password}]`,
          '--entity-type',
          'users',
          '--entity-name',
          username,
        ],
        { timeout: 120_000 },
      );
    } catch (err) {
      const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
      const reason = `${stderr}\n${stdout}`.split('\n').find((l) => /Exception:/.test(l)) ?? oneLine(err);
      throw new UnitrailError(
        'STACK_KAFKA_SCRAM',
        `kafka: creating the ${mechanism} user '${username}' failed: ${reason.trim().slice(0, 300)}`,
      );
    }
  }
}

/** True when the broker answers a metadata request (a listening socket alone is not enough). */
export async function kafkaAnswers(brokers: string[], timeoutMs = 3000): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'unitrail-stack',
    brokers,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const { brokers: live } = await admin.describeCluster();
    return live.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
