/** validator: raw source record → canonical event on ut.events.validated.v1, or the DLQ with reasons. */
import { InvalidInputError } from '../../libs/errors';
import { eventKey, type SerializationEvent } from '../../libs/events';
import type { MasterdataLookup } from '../../libs/masterdata';
import type { InputRecord, Output } from '../../libs/runtime';
import { normalize, sourceLabels } from '../../libs/sources';
import { topics } from '../../libs/topics';
import { masterdataReasons, validate, type RuleContext } from '../../libs/rules';
import type { Reason } from '../../libs/errors';

export interface ValidatorContext extends RuleContext {
  masterdata: MasterdataLookup;
  /** Batch-level results computed in prepare: each record's canonical event (or why it has none), and aggregation reasons. */
  batch?: Map<
    InputRecord<unknown>,
    { event: SerializationEvent | InvalidInputError; aggregation?: Reason[] }
  >;
}

export function lineageOf(record: InputRecord<unknown>) {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: Number(record.offset),
    schemaId: record.schemaId,
  };
}

/** The canonical event of a raw record, or the InvalidInputError that says why there is none. */
export function normalizeRecord(record: InputRecord<unknown>): SerializationEvent | InvalidInputError {
  try {
    return normalize(record.topic, record.value, lineageOf(record));
  } catch (err) {
    if (err instanceof InvalidInputError) return err;
    throw err;
  }
}

/** Its outputs: the validated topic (and the DLQ, implied). */
export type ValidatorOutput = Output<typeof topics.validated.name>;

export function handleRaw(record: InputRecord<unknown>, ctx: ValidatorContext): ValidatorOutput[] {
  const labels = sourceLabels(record.topic, record.value);
  const known = ctx.batch?.get(record);
  const event = known?.event ?? normalizeRecord(record);
  if (event instanceof InvalidInputError) return [{ kind: 'dlq', reasons: [...event.reasons], ...labels }];
  const reasons = [
    ...validate(event, ctx),
    ...masterdataReasons(event, ctx.masterdata, ctx.ownSources),
    ...(known?.aggregation ?? []),
  ];
  if (reasons.length > 0) return [{ kind: 'dlq', reasons, ...labels, eventId: event.eventId }];
  return [{ kind: 'produce', topic: topics.validated.name, key: eventKey(event), value: event }];
}
