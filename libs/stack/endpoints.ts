/**
 * Where Kafka and the registry listen. The addresses clients use (KAFKA_BROKERS,
 * SCHEMA_REGISTRY_URL) are the source of truth: when they point at this machine, the stack
 * listens on their ports, so the two can never disagree. Without them, KAFKA_PORT /
 * REGISTRY_PORT choose the ports and stack.json tells the other commands.
 */
import { ConfigError } from '../errors';
import { settings } from '../config';

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export interface KafkaEndpoint {
  /** false: KAFKA_BROKERS points elsewhere, the stack only checks that it answers. */
  local: boolean;
  brokers: string[];
  host: string;
  port: number;
  controllerPort: number;
  /** The SASL_PLAINTEXT (SCRAM, PLAIN) listener of the local broker: KAFKA_SASL_PORT, default port + 2. */
  saslPort: number;
}

export interface RegistryEndpoint {
  local: boolean;
  url: string;
  host: string;
  port: number;
}

const LOOPBACK = '127.0.0.1';

function portFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ConfigError(`${name}=${raw} is not a port (1-65535)`);
  return port;
}

function agree(env: NodeJS.ProcessEnv, name: string, port: number, source: string): void {
  if (env[name] && portFrom(env, name, port) !== port) {
    throw new ConfigError(
      `${name}=${env[name]} disagrees with ${source}; set one of them (the port follows ${source})`,
    );
  }
}

export function kafkaEndpoint(env: NodeJS.ProcessEnv = process.env): KafkaEndpoint {
  const given = env[settings.kafkaBrokers.env];
  if (given) {
    const brokers = settings.kafkaBrokers.parse(given, settings.kafkaBrokers.env);
    const first = brokers[0] as string;
    const sep = first.lastIndexOf(':');
    const host = first.slice(0, sep);
    const port = Number(first.slice(sep + 1));
    const local = brokers.length === 1 && isLoopback(host);
    if (local) agree(env, 'KAFKA_PORT', port, `KAFKA_BROKERS=${given}`);
    const controllerPort = portFrom(env, 'KAFKA_CONTROLLER_PORT', port + 1);
    const saslPort = portFrom(env, 'KAFKA_SASL_PORT', port + 2);
    return { local, brokers, host: local ? LOOPBACK : host, port, controllerPort, saslPort };
  }
  const port = portFrom(env, 'KAFKA_PORT', 9092);
  const controllerPort = portFrom(env, 'KAFKA_CONTROLLER_PORT', port + 1);
  const saslPort = portFrom(env, 'KAFKA_SASL_PORT', port + 2);
  return { local: true, brokers: [`${LOOPBACK}:${port}`], host: LOOPBACK, port, controllerPort, saslPort };
}

export function registryEndpoint(env: NodeJS.ProcessEnv = process.env): RegistryEndpoint {
  const given = env[settings.schemaRegistryUrl.env];
  if (given) {
    const url = settings.schemaRegistryUrl.parse(given, settings.schemaRegistryUrl.env);
    const parsed = new URL(url);
    const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
    const local = parsed.protocol === 'http:' && isLoopback(parsed.hostname);
    if (local) agree(env, 'REGISTRY_PORT', port, `SCHEMA_REGISTRY_URL=${given}`);
    return { local, url, host: local ? LOOPBACK : parsed.hostname, port };
  }
  const port = portFrom(env, 'REGISTRY_PORT', 8081);
  return { local: true, url: `http://${LOOPBACK}:${port}/apis/ccompat/v7`, host: LOOPBACK, port };
}

/** The same URL with another port (a project-local PostgreSQL/Redis on a free port). */
export function withPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = LOOPBACK;
  parsed.port = String(port);
  return parsed.toString();
}

export function urlPort(url: string, fallback: number): number {
  const port = new URL(url).port;
  return port ? Number(port) : fallback;
}
