/**
 * validator: raw source record → canonical event on ut.events.validated.v1, or the DLQ with reasons;
 * and its floor signals (verifications, exception reports) on ut.signals.v1. A REPORT record gives
 * signals only; a record with any invalid part goes whole to the DLQ.
 */
import { InvalidInputError } from '../../libs/errors';
import { eventKey, type SerializationEvent } from '../../libs/events';
import type { MasterdataLookup } from '../../libs/masterdata';
import { ORIGIN_TS_HEADER, type InputRecord, type Output } from '../../libs/runtime';
import { floorSignals, isReport, normalize, sourceLabels, type FloorSignal } from '../../libs/sources';
import { topics } from '../../libs/topics';
import { masterdataReasons, validate, type RuleContext } from '../../libs/rules';
import type { Reason } from '../../libs/errors';
import { REPLAY_CLAIMANT_HEADER } from '../../libs/seenset';

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

/** Its outputs: the validated topic, the signals topic (and the DLQ, implied). */
export type ValidatorOutput = Output<typeof topics.validated.name | typeof topics.signals.name>;

/** The floor signals of a raw record, or the InvalidInputError that says why it has none. */
export function signalsOf(record: InputRecord<unknown>): FloorSignal[] | InvalidInputError {
  try {
    return floorSignals(record.topic, record.value, {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      receivedAt: Number(record.headers[ORIGIN_TS_HEADER]) || 0,
    });
  } catch (err) {
    if (err instanceof InvalidInputError) return err;
    throw err;
  }
}

const toSignalsTopic = (s: FloorSignal): ValidatorOutput => ({
  kind: 'produce',
  topic: topics.signals.name,
  key: s.deviceId,
  value: s,
});

export function handleRaw(record: InputRecord<unknown>, ctx: ValidatorContext): ValidatorOutput[] {
  const labels = sourceLabels(record.topic, record.value);
  const signals = signalsOf(record);
  if (signals instanceof InvalidInputError)
    return [{ kind: 'dlq', reasons: [...signals.reasons], ...labels }];
  if (isReport(record.topic, record.value)) {
    // A report has no event for the master-data rules to check; its device must still be known.
    const device = signals[0]?.deviceId;
    if (device && ctx.ownSources.includes(signals[0]!.sourceSystem) && !ctx.masterdata.get('device', device))
      return [
        {
          kind: 'dlq',
          reasons: [{ code: 'UNKNOWN_DEVICE', message: `device '${device}' is not in master data` }],
          ...labels,
        },
      ];
    return signals.map(toSignalsTopic);
  }
  const known = ctx.batch?.get(record);
  const event = known?.event ?? normalizeRecord(record);
  if (event instanceof InvalidInputError) return [{ kind: 'dlq', reasons: [...event.reasons], ...labels }];
  const reasons = [
    ...validate(event, ctx),
    ...masterdataReasons(event, ctx.masterdata, ctx.ownSources),
    ...(known?.aggregation ?? []),
  ];
  if (reasons.length > 0) return [{ kind: 'dlq', reasons, ...labels, eventId: event.eventId }];
  // A DLQ replay names the record it replays, for the deduplicator's claim.
  const replayOf = record.headers[REPLAY_CLAIMANT_HEADER];
  return [
    {
      kind: 'produce',
      topic: topics.validated.name,
      key: eventKey(event),
      value: event,
      ...(replayOf ? { headers: { [REPLAY_CLAIMANT_HEADER]: replayOf } } : {}),
    },
    ...signals.map(toSignalsTopic),
  ];
}
