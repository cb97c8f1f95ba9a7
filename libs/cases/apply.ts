/**
 * The cases stage's effect on the store: one transaction per batch. Cases open with ON CONFLICT on
 * the incident key, so a batch replayed after a crash (offsets are committed after this commits)
 * opens nothing twice.
 */
import type pg from 'pg';
import { setNewest } from '../bounded';
import type { SerializationEvent } from '../events';
import { db } from '../store';
import { topics } from '../topics';
import { effectsOf, receivedPallet, type Effect, type JourneyFacts } from './detect';
import type { JourneyDigest } from './digest';
import { inTransaction, noteCase, openCase, resolveLanded } from './store';

export const STAGE_ACTOR = 'cases-stage';

/** Children of each pallet at a time, from the aggregation facts the journey sink wrote. */
export async function palletContents(
  q: pg.Pool | pg.PoolClient,
  wanted: { pallet: string; at: number }[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const { pallet, at } of wanted) {
    const r = await q.query<{ child_uri: string }>(
      `SELECT child_uri FROM ut.aggregation_intervals
        WHERE parent_uri = $1 AND from_time <= $2 AND (to_time IS NULL OR to_time > $2) ORDER BY child_uri`,
      [pallet, new Date(at)],
    );
    if (r.rows.length > 0)
      out.set(
        pallet,
        r.rows.map((x) => x.child_uri),
      );
  }
  return out;
}

/**
 * What this instance saw palletised lately (aggregation events on the journey topic): a pallet
 * received right after it was built may be read here before the journey sink has written its facts.
 */
export function recentAggregations(limit = 10_000) {
  const byParent = new Map<string, Set<string>>();
  return {
    learn(e: JourneyFacts) {
      if (e.eventType !== 'AggregationEvent' || !e.parentId) return;
      const parent = e.parentId.uri;
      const children = byParent.get(parent) ?? new Set<string>();
      if (e.action === 'DELETE') {
        if (e.childEpcs.length === 0) children.clear();
        for (const c of e.childEpcs) children.delete(c.uri);
      } else for (const c of e.childEpcs) children.add(c.uri);
      setNewest(byParent, parent, children, limit);
    },
    get: (pallet: string) => [...(byParent.get(pallet) ?? [])],
  };
}

export type RecentAggregations = ReturnType<typeof recentAggregations>;

export interface Applied {
  opened: string[];
  resolved: string[];
  notes: number;
}

/** The journey events of one of the stage's input records, as far as it reads them. */
function journeyFactsOf(topic: string, value: unknown): readonly JourneyFacts[] {
  if (topic === topics.journey.name || topic === topics.journeySurge.name)
    return [value as SerializationEvent];
  if (topic === topics.journeyDigest.name) return (value as JourneyDigest).events;
  return [];
}

/** Applies one batch of the stage's input records. */
export async function applyBatch(
  pool: pg.Pool,
  records: { topic: string; value: unknown; originTs?: string }[],
  recent: RecentAggregations = recentAggregations(),
): Promise<Applied> {
  const received: { pallet: string; at: number }[] = [];
  for (const e of records.flatMap((r) => journeyFactsOf(r.topic, r.value))) {
    recent.learn(e);
    const p = receivedPallet(e);
    if (p) received.push({ pallet: p.pallet, at: e.eventTime });
  }
  const contents = received.length > 0 ? await palletContents(pool, received) : new Map<string, string[]>();
  for (const { pallet } of received) {
    if (!contents.has(pallet) && recent.get(pallet).length > 0) contents.set(pallet, recent.get(pallet));
  }
  const effects: Effect[] = records.flatMap((r) => effectsOf(r.topic, r.value, contents, r.originTs));
  const opens = effects.filter((e) => e.type === 'open');
  const notes = effects.filter((e) => e.type === 'note');
  const landed = effects.filter((e) => e.type === 'landed').map((e) => e.eventId);
  const out: Applied = { opened: [], resolved: [], notes: 0 };
  // Most batches are journey events no case waits for: one indexed probe, no transaction.
  const waiting =
    landed.length === 0
      ? []
      : (
          await db('cases waiting', () =>
            pool.query<{ event_id: string }>(
              `SELECT event_id FROM ut.cases WHERE status = 'open' AND event_id = ANY($1)`,
              [landed],
            ),
          )
        ).rows.map((r) => r.event_id);
  if (opens.length === 0 && notes.length === 0 && waiting.length === 0) return out;
  await inTransaction(pool, 'cases batch', async (client) => {
    for (const o of opens) {
      const r = await openCase(client, o.incident, { openedBy: STAGE_ACTOR });
      if (r.opened) out.opened.push(r.caseId);
    }
    for (const n of notes)
      if (await noteCase(client, n.incidentKey, n.action, n.detail, STAGE_ACTOR)) out.notes++;
    out.resolved = await resolveLanded(client, waiting, STAGE_ACTOR);
  });
  return out;
}
