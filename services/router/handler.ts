/**
 * router: every event goes to the journey; an event in an active recall's scope goes to the surge
 * topic instead, tagged with the recall id; an event whose disposition says something went wrong
 * also goes to the exceptions topic for the quality team.
 */
import type { SerializationEvent } from '../../libs/events';
import { recallFor, type Recall } from '../../libs/recalls';
import type { InputRecord, Output } from '../../libs/runtime';
import { topics } from '../../libs/topics';

const exceptionDispositions = new Set([
  'damaged',
  'destroyed',
  'stolen',
  'non_conformant',
  'mismatch_instance',
  'mismatch_class',
  'mismatch_quantity',
  'unknown',
]);

export function route(record: InputRecord<SerializationEvent>, activeRecalls: readonly Recall[]): Output[] {
  const e = record.value;
  const key = record.key?.toString('utf8') ?? null;
  const recall = recallFor(e, activeRecalls);
  const out: Output[] = [
    recall
      ? {
          kind: 'produce',
          topic: topics.journeySurge.name,
          key,
          value: e,
          headers: { 'ut-recall-id': recall.recallId },
        }
      : { kind: 'produce', topic: topics.journey.name, key, value: e },
  ];
  if (e.disposition && exceptionDispositions.has(e.disposition)) {
    out.push({
      kind: 'produce',
      topic: topics.exceptions.name,
      key,
      value: e,
      headers: { 'ut-exception': e.disposition },
    });
  }
  return out;
}
