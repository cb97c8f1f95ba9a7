/**
 * Which PostgreSQL errors mean the server or the connection failed (so the same work may succeed
 * later), and `db()`, which turns those into retriable DependencyErrors. Apart from index.ts so the
 * files of this lib that run queries import it directly, never their own index.
 */
import { DependencyError } from '../errors';
import { isConnectionErrno } from '../retry';

/**
 * Errors that mean the connection itself failed (lost mid-query, or never made): pg reports these
 * without a SQLSTATE ("Connection terminated unexpectedly", a pool time-out), so they are marked
 * where they are raised, by the client's 'error' event and by the pool's connect, and `db()` reads the mark.
 */
const connectionFailures = new WeakSet<object>();
export const markConnectionFailure = (err: unknown) => {
  if (err && typeof err === 'object') connectionFailures.add(err);
};

// SQLSTATE classes 08 (connection exception), 57P (operator intervention: shutdown, crash),
// 53 (insufficient resources), and 40001/40P01 (serialization failure, deadlock: retry the transaction).
const RETRIABLE_SQLSTATE = /^(08|57P|53|40001$|40P01$)/;

/** True when a PostgreSQL error means the server or the connection failed, so the same work may succeed later. */
export function isConnectionFailure(err: unknown): boolean {
  if (err && typeof err === 'object' && connectionFailures.has(err)) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (RETRIABLE_SQLSTATE.test(code) || isConnectionErrno(code));
}

/** Wraps a database call so that connection failures are retriable DependencyErrors. */
export async function db<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isConnectionFailure(err)) {
      throw new DependencyError('postgres', `${what}: ${(err as Error).message}`, err);
    }
    throw err;
  }
}
