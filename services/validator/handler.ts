/** validator: raw source record → canonical event on ut.events.validated.v1, or the DLQ with reasons. */
import { InvalidInputError } from '../../libs/errors';
import { eventKey } from '../../libs/events';
import type { MasterdataLookup } from '../../libs/masterdata';
import type { InputRecord, Output } from '../../libs/runtime';
import { normalize, sourceLabels } from '../../libs/sources';
import { topics } from '../../libs/topics';
import { masterdataReasons } from './masterdata-rules';
import { validate, type RuleContext } from './rules';

export interface ValidatorContext extends RuleContext {
  masterdata: MasterdataLookup;
}

export function handleRaw(record: InputRecord<unknown>, ctx: ValidatorContext): Output[] {
  const labels = sourceLabels(record.topic, record.value);
  const lineage = {
    topic: record.topic,
    partition: record.partition,
    offset: Number(record.offset),
    schemaId: record.schemaId,
  };
  let event;
  try {
    event = normalize(record.topic, record.value, lineage);
  } catch (err) {
    if (err instanceof InvalidInputError) return [{ kind: 'dlq', reasons: [...err.reasons], ...labels }];
    throw err;
  }
  const reasons = [...validate(event, ctx), ...masterdataReasons(event, ctx.masterdata, ctx.ownSources)];
  if (reasons.length > 0) return [{ kind: 'dlq', reasons, ...labels, eventId: event.eventId }];
  return [{ kind: 'produce', topic: topics.validated.name, key: eventKey(event), value: event }];
}
