/**
 * Aggregation consistency (EPCIS: a child is in at most one parent at a time): an ADD of a child
 * into P while it is still inside P' (packed there, not unpacked since) is refused. The current
 * parents come from the journey store; events of the same batch are taken into account in order.
 * Late events (older than the child's current aggregation) are not judged here: the journey store
 * places them in time.
 */
import type { Reason } from '../errors';
import type { SerializationEvent } from '../events';

export interface Containment {
  parent: string;
  since: number;
}

export function aggregationReasons(
  batch: readonly (SerializationEvent | null)[],
  current: ReadonlyMap<string, Containment>,
): Map<number, Reason[]> {
  const state = new Map(current);
  const out = new Map<number, Reason[]>();
  batch.forEach((e, i) => {
    if (!e || e.eventType !== 'AggregationEvent' || !e.parentId) return;
    const parent = e.parentId.uri;
    if (e.action === 'ADD') {
      const reasons: Reason[] = [];
      for (const c of e.childEpcs) {
        const now = state.get(c.uri);
        if (now && now.parent !== parent && now.since <= e.eventTime) {
          reasons.push({
            code: 'CHILD_IN_OTHER_PARENT',
            message: `${c.uri} is inside ${now.parent} since ${new Date(now.since).toISOString()}; unpack it (DELETE) before packing it into ${parent}`,
          });
        }
      }
      if (reasons.length > 0) out.set(i, reasons);
      else for (const c of e.childEpcs) state.set(c.uri, { parent, since: e.eventTime });
    } else if (e.action === 'DELETE') {
      const children = e.childEpcs.length > 0 ? e.childEpcs.map((c) => c.uri) : [...state.keys()];
      for (const c of children) if (state.get(c)?.parent === parent) state.delete(c);
    }
  });
  return out;
}

/** Children of the batch's ADD events, whose current parents the validator looks up. */
export function childrenToLookUp(batch: readonly (SerializationEvent | null)[]): string[] {
  const uris = new Set<string>();
  for (const e of batch) {
    if (e?.eventType === 'AggregationEvent' && e.action === 'ADD')
      for (const c of e.childEpcs) uris.add(c.uri);
  }
  return [...uris];
}

/** The current parent of each child, as the journey store knows it (latest ADD not undone by a DELETE). */
export const CURRENT_PARENTS_SQL = `
SELECT c.child, a.parent_uri AS parent, a.event_time AS since
  FROM unnest($1::text[]) AS c(child)
  CROSS JOIN LATERAL (
    SELECT f.parent_uri, f.event_time FROM ut.aggregation_facts f
     WHERE f.child_uri = c.child AND f.action = 'ADD' ORDER BY f.event_time DESC LIMIT 1) a
 WHERE NOT EXISTS (
    SELECT 1 FROM ut.aggregation_facts d
     WHERE d.parent_uri = a.parent_uri AND d.action = 'DELETE' AND d.child_uri IN (c.child, '*')
       AND d.event_time > a.event_time)`;
