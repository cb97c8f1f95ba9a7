/** What a stage is, for the runtime: the records it gets, the outputs it returns, its effects. */
import type { Reason } from '../errors';

/**
 * Header carrying the Kafka timestamp of the raw record an output descends from, copied from input
 * to outputs by every stage, so the sink can tell the end-to-end latency of each event.
 */
export const ORIGIN_TS_HEADER = 'ut-origin-ts';

/** A decoded input record with its coordinates. */
export interface InputRecord<T> {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  headers: Record<string, string>;
  value: T;
  schemaId: number;
  /** The original value bytes, for the DLQ. */
  raw: Buffer | null;
}

/** Labels that metrics and the DLQ use to say where a record came from. */
export interface RecordLabels {
  source?: string | null;
  device?: string | null;
  eventId?: string | null;
}

/** A record for a topic; `Topic` narrows the topics a handler may produce to (its declared outputs). */
export interface Produce<Topic extends string = string> {
  kind: 'produce';
  topic: Topic;
  key: string | null;
  value: unknown;
  headers?: Record<string, string>;
}

export type Output<Topic extends string = string> =
  | Produce<Topic>
  /** `stage`: the stage that refused it, when not the one running (a fused deployment names the inner stage). */
  | ({ kind: 'dlq'; reasons: Reason[]; stage?: string } & RecordLabels)
  | ({ kind: 'drop'; reason: string } & RecordLabels)
  /** Handled with no output (a sink's row is written by `write`). */
  | { kind: 'done' };

/** A record and what its handler returned, as `write` receives them. */
export interface Handled<In> {
  record: InputRecord<In>;
  outputs: Output[];
}

/**
 * A stage as the runtime runs it (what `openStage(definition, config)` returns, and what stages
 * written before `defineStage` construct by hand).
 *
 * `prepare`, `handle` and `write` are declared as methods on purpose: TypeScript then lets a list
 * hold stages whose input and context types differ (`Stage<unknown, unknown>`) without casts. The
 * runtime only ever hands `handle` the context its own `prepare` returned.
 */
export interface Stage<In, Ctx = undefined> {
  /** validator, deduplicator, ... Also the consumer group suffix (`ut.<name>`). */
  name: string;
  /** Input topics. */
  topics: readonly string[];
  /** Effects before the pure handler (seen-set claims, state snapshots); its result is `handle`'s context. */
  prepare?(records: InputRecord<In>[]): Promise<Ctx>;
  /** Pure: one input record (plus read-only context) → outputs. Throwing a non-retriable error sends the record to the DLQ. */
  handle(record: InputRecord<In>, ctx: Ctx): Output[];
  /** Sinks: write the handled batch (in one transaction) before offsets are committed. Records sent to the DLQ are not in it. */
  write?(handled: Handled<In>[]): Promise<void>;
  /** Opens what the stage needs (pools, state followers); awaited before consuming. */
  start?: () => Promise<void>;
  stop?: () => Promise<void>;
  /** Source system of an input topic, to label records that cannot even be decoded. */
  sourceOf?: (topic: string) => string | null;
  /**
   * The stage named in the DLQ record of an input that cannot be decoded, when not this one: a
   * fused deployment names its first stage, as the split deployment's DLQ would.
   */
  decodedBy?: string;
  /** Health detail of the stage's own dependencies. */
  health?: () => Record<string, unknown>;
  /** Partitions handled at once (default 3); 1 for a stage whose state spans its partitions. */
  concurrency?: number;
  /** Lowers its own CPU priority when run in a process of its own (see StageDefinition.background). */
  background?: boolean;
  /** Its inputs are usually empty: its consumer waits long on each fetch (see StageDefinition.quiet). */
  quiet?: boolean;
}

const FAILED_IN = Symbol('unitrail.failedIn');

/**
 * Marks an error with the stage it failed in (a fused deployment's inner stage), so that the DLQ
 * record of a record the runtime sets apart names that stage, as the split deployment's would.
 * The first mark wins: the innermost stage.
 */
export function failedIn<E>(err: E, stage: string): E {
  if (err !== null && typeof err === 'object' && !(FAILED_IN in err))
    Object.defineProperty(err, FAILED_IN, { value: stage });
  return err;
}

/** The stage an error was marked with by `failedIn`, if any. */
export function stageOfError(err: unknown): string | undefined {
  return err !== null && typeof err === 'object'
    ? ((err as { [FAILED_IN]?: string })[FAILED_IN] ?? undefined)
    : undefined;
}
