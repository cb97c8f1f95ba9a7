/**
 * A stage declared statically (like a component registered with its spec): its name, inputs,
 * outputs and handler are plain data, readable without opening a pool or a connection, so the
 * topology can be printed and checked; `open(config)` builds what it needs to run.
 */
import type { Config } from '../config';
import type { Handled, InputRecord, Output, Stage } from './stage';

/** What `open` builds: the effects around the pure handler (all optional). */
export interface StageResources<In, Ctx> {
  /** Opens pools, followers; awaited before consuming. */
  start?: () => Promise<void>;
  /** Effects before the handler; its result is the handler's context. */
  prepare?(records: InputRecord<In>[]): Promise<Ctx>;
  /** Sinks: writes the handled batch before offsets are committed. */
  write?(handled: Handled<In>[]): Promise<void>;
  stop?: () => Promise<void>;
  health?: () => Record<string, unknown>;
}

export interface StageDefinition<In = unknown, Ctx = unknown, Out extends string = string> {
  /** Also the consumer group: `ut.<name>`. */
  readonly name: string;
  /** One line for `unitrail topology` and the docs. */
  readonly summary: string;
  readonly inputs: readonly string[];
  /** Topics the handler produces to; the DLQ is implied for every stage. */
  readonly outputs: readonly Out[];
  /** Compacted topics whose state the stage keeps in memory (master data, recalls). */
  readonly follows?: readonly string[];
  /** What it reads or writes besides topics (a sink's tables, the seen-set), for the topology. */
  readonly stores?: string;
  /** Pure: one record (plus the context `prepare` returned) → outputs to the declared topics. */
  handler(record: InputRecord<In>, ctx: Ctx): Output<NoInfer<Out>>[];
  /** Source system of an input topic, to label records that cannot even be decoded. */
  readonly sourceOf?: (topic: string) => string | null;
  /**
   * Partitions handled at once (default 3). 1 for a stage whose state spans partitions and is kept
   * from prepare to write (device-health): its batches then run one after the other.
   */
  readonly concurrency?: number;
  /**
   * A backlog worker (the surge sink): run on its own by `unitrail run`, it lowers its CPU priority
   * to BACKGROUND_NICE, so a recall's surge drains on what the normal flow leaves of the cores.
   */
  readonly background?: boolean;
  /**
   * Its inputs are empty most of the time (the surge topic outside a recall, the DLQ): its consumer
   * waits long on each fetch (see quietFetchWaitMs in the runtime), so that it costs next to
   * nothing while nothing comes; what does come waits at most that long.
   */
  readonly quiet?: boolean;
  /** Builds the stage's resources (pools, followers): called only when the stage is opened to run. */
  open?(config: Config): StageResources<In, Ctx>;
}

/**
 * Declares a stage. The handler's outputs are typed by `outputs`: producing to a topic the stage
 * does not declare is a type error.
 */
export function defineStage<In, Ctx, const Out extends string>(
  definition: StageDefinition<In, Ctx, Out>,
): StageDefinition<In, Ctx, Out> {
  return Object.freeze({ ...definition });
}

/** The consumer group of a stage. */
export const groupOf = (definition: { name: string }) => `ut.${definition.name}`;

/** Opens a declared stage for the runtime: its resources are created here, not at declaration. */
export function openStage<In, Ctx, Out extends string>(
  definition: StageDefinition<In, Ctx, Out>,
  config: Config,
): Stage<In, Ctx> {
  const resources = definition.open?.(config) ?? {};
  return {
    name: definition.name,
    topics: definition.inputs,
    handle: (record, ctx) => definition.handler(record, ctx),
    sourceOf: definition.sourceOf,
    concurrency: definition.concurrency,
    background: definition.background,
    quiet: definition.quiet,
    ...resources,
  };
}
