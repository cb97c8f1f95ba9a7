/**
 * PostgreSQL: the machine's own when it answers; otherwise a project-local cluster in the
 * state dir (initdb once, trust auth, loopback only). PostgreSQL refuses to run as root, so
 * under root the cluster belongs to the `postgres` system user.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { UnitrailError, oneLine } from '../errors';
import { withDatabase } from '../store';

const run = promisify(execFile);

export type Probe = { up: true } | { up: false; refused: boolean; reason: string };

export function userName(url: string): string {
  return decodeURIComponent(new URL(url).username) || 'postgres';
}

/** Connects to the maintenance database: `refused` means nobody listens (so one may be started). */
export async function postgresProbe(url: string, timeoutMs = 3000): Promise<Probe> {
  const client = new Client({
    connectionString: withDatabase(url, 'postgres'),
    connectionTimeoutMillis: timeoutMs,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { up: true };
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const refused =
      /^(ECONNREFUSED|ENOENT|ECONNRESET|ETIMEDOUT)$/.test(code) || /timeout/i.test(oneLine(err));
    // 57P03: "the database system is starting up" - answering, not ready
    return { up: false, refused: refused || code === '57P03', reason: oneLine(err) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface LocalPostgres {
  binDir: string;
  /** <stateDir>/postgres: the cluster's data and its unix socket. */
  home: string;
  port: number;
  superuser: string;
}

export interface RunAs {
  uid: number;
  gid: number;
}

/** Under root: the `postgres` user (from /etc/passwd), else an error saying what to do. */
export function postgresRunAs(): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) {
    throw new UnitrailError(
      'STACK_PREREQUISITE',
      'postgres: PostgreSQL refuses to run as root and there is no postgres user; run as a normal user or start your own and set DATABASE_URL',
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

export function dataDir(home: string): string {
  return path.join(home, 'data');
}

/** initdb once (trust auth on loopback: this cluster is a developer's scratch database). */
export async function initCluster(
  { binDir, home, superuser }: LocalPostgres,
  runAs: RunAs | undefined,
): Promise<void> {
  if (fs.existsSync(path.join(dataDir(home), 'PG_VERSION'))) return;
  fs.mkdirSync(home, { recursive: true });
  if (runAs) fs.chownSync(home, runAs.uid, runAs.gid);
  fs.rmSync(dataDir(home), { recursive: true, force: true });
  try {
    await run(
      path.join(binDir, 'initdb'),
      ['-D', dataDir(home), '-U', superuser, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-instructions'],
      { timeout: 120_000, ...(runAs ?? {}) },
    );
  } catch (err) {
    const { stderr = '' } = err as { stderr?: string };
    throw new UnitrailError(
      'STACK_POSTGRES_INIT',
      `postgres: initdb in ${home} failed: ${oneLine(stderr || err)}`,
    );
  }
}

export function postgresArgs({ home, port }: LocalPostgres): string[] {
  return ['-D', dataDir(home), '-p', String(port), '-k', home, '-c', 'listen_addresses=127.0.0.1'];
}
