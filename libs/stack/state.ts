/**
 * `<stateDir>/stack.json`: what `stack up` started and where it listens. Other commands read
 * it (through stackEnvironment) so their defaults follow a project-local PostgreSQL or Redis
 * that had to be started on a free port.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stateDir } from './paths';

export const PARTS = ['kafka', 'registry', 'postgres', 'redis'] as const;
export type PartName = (typeof PARTS)[number];

export type EnvName = 'KAFKA_BROKERS' | 'SCHEMA_REGISTRY_URL' | 'DATABASE_URL' | 'REDIS_URL';
export const ENV_OF: Record<PartName, EnvName> = {
  kafka: 'KAFKA_BROKERS',
  registry: 'SCHEMA_REGISTRY_URL',
  postgres: 'DATABASE_URL',
  redis: 'REDIS_URL',
};

export interface PartRecord {
  /** The value of the part's environment variable that reaches it (e.g. a postgresql:// URL). */
  url: string;
  /** started by `stack up` (true) or found already answering (false: `down` leaves it alone). */
  managed: boolean;
  port?: number;
}

export interface StackFile {
  version: 1;
  updatedAt: string;
  parts: Partial<Record<PartName, PartRecord>>;
}

export function stackFilePath(dir: string = stateDir()): string {
  return path.join(dir, 'stack.json');
}

/** Parses stack.json text; anything unreadable counts as an empty record (the stack rewrites it). */
export function parseStackFile(text: string | undefined): StackFile {
  const empty: StackFile = { version: 1, updatedAt: new Date(0).toISOString(), parts: {} };
  if (!text) return empty;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return empty;
  }
  if (typeof raw !== 'object' || raw === null || (raw as { version?: unknown }).version !== 1) return empty;
  const parts: StackFile['parts'] = {};
  const given = (raw as { parts?: Record<string, unknown> }).parts ?? {};
  for (const name of PARTS) {
    const p = given[name] as Partial<PartRecord> | undefined;
    if (p && typeof p.url === 'string' && typeof p.managed === 'boolean') {
      parts[name] = {
        url: p.url,
        managed: p.managed,
        ...(typeof p.port === 'number' ? { port: p.port } : {}),
      };
    }
  }
  const updatedAt = (raw as { updatedAt?: unknown }).updatedAt;
  return { version: 1, updatedAt: typeof updatedAt === 'string' ? updatedAt : empty.updatedAt, parts };
}

export function readStackFile(dir: string = stateDir()): StackFile {
  let text: string | undefined;
  try {
    text = fs.readFileSync(stackFilePath(dir), 'utf8');
  } catch {
    text = undefined;
  }
  return parseStackFile(text);
}

export function writeStackFile(dir: string, file: StackFile): void {
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${stackFilePath(dir)}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ ...file, updatedAt: new Date().toISOString() }, null, 2) + '\n');
  fs.renameSync(tmp, stackFilePath(dir));
}

/**
 * The endpoints `stack up` recorded, as environment values: every part it manages plus
 * PostgreSQL/Redis only when it had to start a project-local one. Meant as defaults under
 * the real environment (an explicit variable still wins).
 */
export function environmentOf(file: StackFile): Partial<Record<EnvName, string>> {
  const env: Partial<Record<EnvName, string>> = {};
  for (const name of PARTS) {
    const part = file.parts[name];
    if (part?.managed) env[ENV_OF[name]] = part.url;
  }
  return env;
}

export function stackEnvironment(dir: string = stateDir()): Partial<Record<EnvName, string>> {
  return environmentOf(readStackFile(dir));
}
