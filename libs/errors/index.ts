/**
 * One error hierarchy for the whole project. The runtime decides retry vs DLQ from
 * `retriable` alone, and the CLI prints `message` as one line with a non-zero exit.
 */
export class UnitrailError extends Error {
  /** Stable, machine-readable reason code (also used as a DLQ reason and a metric label). */
  readonly code: string;
  /** True when the same input may succeed later (a service down, a timeout). */
  readonly retriable: boolean;

  constructor(
    code: string,
    message: string,
    { retriable = false, cause }: { retriable?: boolean; cause?: unknown } = {},
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = retriable;
  }
}

/** A person gave something wrong (flag, file, configuration): exit 2 with the message. */
export class UsageError extends UnitrailError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** A configuration value is missing or malformed. */
export class ConfigError extends UnitrailError {
  constructor(message: string) {
    super('CONFIG', message);
  }
}

/** Input that can never be processed as it is: goes to the DLQ with its reasons. */
export class InvalidInputError extends UnitrailError {
  readonly reasons: readonly Reason[];
  constructor(reasons: readonly Reason[]) {
    super(reasons[0]?.code ?? 'INVALID', reasons.map((r) => `${r.code}: ${r.message}`).join('; '));
    this.reasons = reasons;
  }
}

/** A dependency (Kafka, registry, PostgreSQL, Redis) is unreachable or failed: retry, never DLQ. */
export class DependencyError extends UnitrailError {
  constructor(dependency: string, message: string, cause?: unknown) {
    super(`DEPENDENCY_${dependency.toUpperCase()}`, `${dependency}: ${message}`, { retriable: true, cause });
  }
}

/** A reason code with a one-line human explanation (validation rules, decode failures). */
export interface Reason {
  code: string;
  message: string;
}

/** Retry or not is decided from codes in one place, libs/retry; re-exported for existing callers. */
export { isRetriable } from '../retry';

/** One line for a person: the message, never a stack. */
export function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s+/g, ' ').trim();
}
