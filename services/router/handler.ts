/**
 * router: every event goes to the journey; an event in an active recall's scope goes to the surge
 * topic instead, tagged with the recall id; an event whose disposition says something went wrong
 * also goes to the exceptions topic for the quality team; a move of quarantined goods raises a
 * quarantine_breach alert.
 *
 * The context is the recall set (indexed) plus what this instance has learned about units and
 * containers; the handler's one effect is on that memory (a case packed with recalled units joins
 * the recall).
 */
import { surgeKey, type SerializationEvent } from '../../libs/events';
import {
  indexRecalls,
  learnScope,
  quarantineBreach,
  recallFor,
  type Recall,
  type RecallIndex,
  type ScopeMemory,
} from '../../libs/recalls';
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

export interface RouterContext {
  recalls: RecallIndex;
  memory?: ScopeMemory;
}

/** The router's outputs: the journey, the surge, exceptions and alerts. */
export const routerOutputs = [
  topics.journey.name,
  topics.journeySurge.name,
  topics.exceptions.name,
  topics.alerts.name,
] as const;
export type RouterOutput = Output<(typeof routerOutputs)[number]>;

export function route(
  record: InputRecord<SerializationEvent>,
  ctx: RouterContext | readonly Recall[],
): RouterOutput[] {
  const { recalls, memory } = Array.isArray(ctx)
    ? { recalls: indexRecalls(ctx as Recall[]), memory: undefined }
    : (ctx as RouterContext);
  const e = record.value;
  const key = record.key?.toString('utf8') ?? null;
  const recall = recallFor(e, recalls, memory);
  if (memory) learnScope(e, recall, recalls, memory);
  const out: RouterOutput[] = [
    recall
      ? {
          kind: 'produce',
          topic: topics.journeySurge.name,
          // by unit, not by the journey's key: see surgeKey
          key: surgeKey(e),
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
  if (recall && quarantineBreach(e, recall)) out.push(breachAlert(e, recall));
  return out;
}

/** The alert id is the recall and the event: a replayed event raises the same alert, not a second one. */
function breachAlert(e: SerializationEvent, recall: Recall): RouterOutput {
  const where = e.bizLocation ?? e.readPoint ?? 'an unknown place';
  return {
    kind: 'produce',
    topic: topics.alerts.name,
    key: recall.recallId,
    value: {
      alertId: `quarantine_breach:${recall.recallId}:${e.eventId}`,
      kind: 'quarantine_breach',
      severity: 'critical',
      message: `quarantined goods of recall ${recall.recallId} moved: ${e.bizStep ?? e.eventType} at ${where}`,
      recallId: recall.recallId,
      partner: null,
      eventId: e.eventId,
      createdAt: e.eventTime,
      payload: JSON.stringify({
        bizStep: e.bizStep,
        disposition: e.disposition,
        bizLocation: e.bizLocation,
        readPoint: e.readPoint,
        identifiers: [...e.epcList, ...(e.parentId ? [e.parentId] : []), ...e.childEpcs].map((i) => i.uri),
      }),
    },
  };
}
