/**
 * One retry policy for the whole project (after kafkajs' src/retry): exponential back-off with
 * jitter, and one predicate, `isRetriable`, that decides from an error's codes (never its message
 * text) whether the same work may succeed later (a dependency outage) or never will (bad data).
 */

export interface BackoffOptions {
  /** Wait before the first retry (attempt 0). */
  initialMs?: number;
  /** Growth per attempt. */
  factor?: number;
  /** The longest wait. */
  maxMs?: number;
  /**
   * Share of the wait that is random: 0 waits exactly the exponential step, 1 is "full jitter"
   * (anything from 0 to the step), 0.2 waits 80-100% of it. Jitter keeps many consumers that failed
   * together from retrying together.
   */
  jitter?: number;
  random?: () => number;
}

/** The wait before retry number `attempt` (0-based), in ms. */
export function backoffMs(
  attempt: number,
  { initialMs = 200, factor = 2, maxMs = 10_000, jitter = 0.2, random = Math.random }: BackoffOptions = {},
): number {
  const step = Math.min(maxMs, initialMs * factor ** Math.max(0, attempt));
  return Math.round(step * (1 - jitter + jitter * random()));
}

export interface RetryOptions extends BackoffOptions {
  /** Retries after the first attempt; Infinity retries until `shouldStop` says so. */
  retries?: number;
  /** Which errors are worth another attempt; others are thrown at once. */
  retriable?: (err: unknown) => boolean;
  sleep?: (ms: number) => Promise<void>;
}

export interface RetryHooks {
  /** Called before each wait; may heartbeat or record the failure. */
  onRetry?: (info: { error: unknown; attempt: number; waitMs: number }) => void | Promise<void>;
  /** Checked before each wait: true gives up and throws the last error (a stop, a rebalance). */
  shouldStop?: () => boolean;
}

export type Retry = <T>(fn: (attempt: number) => Promise<T>, hooks?: RetryHooks) => Promise<T>;

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A retrier: `retry(fn)` runs fn until it succeeds, a non-retriable error, `retries` is spent or `shouldStop`. */
export function createRetry({
  retries = 5,
  retriable = isRetriable,
  sleep = realSleep,
  ...backoff
}: RetryOptions = {}): Retry {
  return async (fn, { onRetry, shouldStop = () => false } = {}) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (error) {
        if (!retriable(error) || attempt >= retries || shouldStop()) throw error;
        const waitMs = backoffMs(attempt, backoff);
        await onRetry?.({ error, attempt, waitMs });
        await sleep(waitMs);
      }
    }
  };
}

// PostgreSQL SQLSTATE classes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
// Retriable: 08 connection exception, 53 insufficient resources, 57P01-57P03 shutdown / cannot
// connect now, 40001 serialization failure, 40P01 deadlock; and the store not being what the code
// expects, which no record caused and every record would hit (28 authorization, 3D000/3F000 no
// such database or schema, 25006 a read-only standby, 42501 no privilege, 42P01 undefined table,
// 42703 undefined column, 42883 undefined function: a migration not run): pausing keeps the
// records, /healthz turns unhealthy, and a person mends the store. Everything else (22 data
// exception, 23 integrity constraint, 54 program limit such as an index row too large, 42601
// syntax...) fails again on the same input and isolates that record to the DLQ.
const RETRIABLE_SQLSTATE =
  /^(08...|53...|57P0[123]|40001|40P01|28...|3D000|3F000|25006|42501|42P01|42703|42883)$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;
// Node's errno codes of a connection that failed or dropped.
const RETRIABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** True for node's errno code of a connection that failed, dropped or could not be made. */
export const isConnectionErrno = (code: string): boolean => RETRIABLE_ERRNO.has(code);

/** The status code of an HTTP failure, when the error carries one. */
function httpStatus(err: Record<string, unknown>): number | undefined {
  const s = err.status ?? err.statusCode;
  return typeof s === 'number' && s >= 100 && s < 600 ? s : undefined;
}

/**
 * True when the same work may succeed later: a dependency is down, slow or overloaded.
 * Decided from codes only:
 *  - `retriable` on the error (UnitrailError, every kafkajs error); kafkajs' "number of retries
 *    exceeded" is decided by its cause, since it wraps both outages and refusals;
 *  - PostgreSQL SQLSTATE (see above); node errno codes of a failed connection;
 *  - HTTP status: 408, 429 and 5xx are retriable, other 4xx are not;
 *  - `cause`, when the error has nothing of its own (a fetch failure wraps the errno).
 */
export function isRetriable(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as Record<string, unknown>;
  if (e.name === 'KafkaJSNumberOfRetriesExceeded' && e.cause !== undefined) return isRetriable(e.cause);
  if (typeof e.retriable === 'boolean') return e.retriable;
  const code = e.code;
  if (typeof code === 'string') {
    if (RETRIABLE_ERRNO.has(code)) return true;
    if (SQLSTATE.test(code)) return RETRIABLE_SQLSTATE.test(code);
  }
  const status = httpStatus(e);
  if (status !== undefined) return status === 408 || status === 429 || status >= 500;
  if (e.cause !== undefined && e.cause !== err) return isRetriable(e.cause);
  return false;
}

/** The machine-readable code of an error, for a DLQ reason or a metric label: SQLSTATE, errno, kafkajs type, HTTP status. */
export function errorCode(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as Record<string, unknown>;
  if (typeof e.code === 'string' && e.code) return e.code;
  if (typeof e.type === 'string' && e.type) return e.type;
  const status = httpStatus(e);
  if (status !== undefined) return `HTTP_${status}`;
  return undefined;
}
