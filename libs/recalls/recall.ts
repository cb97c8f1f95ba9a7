/**
 * A recall: the scope a coordinator declares, the test of whether an event is in one, and what the
 * router remembers between events (units it saw in scope, containers filled with them).
 */
import { setNewest } from '../bounded';
import type { SerializationEvent } from '../events';
import { touchedIdentifiers } from '../events';
import type { Recall } from './types';

export type { Recall } from './types';

/** A record as decoded: written before a field existed, it lacks it (the schema default is for readers). */
export function withDefaults(r: Partial<Recall> & Pick<Recall, 'recallId'>): Recall {
  return {
    status: 'active',
    reason: '',
    gtin: '',
    lots: [],
    serials: [],
    fromTime: null,
    toTime: null,
    deviceId: null,
    declaredAt: 0,
    closedAt: null,
    declaredBy: null,
    ...r,
    containers: r.containers ?? [],
    units: r.units ?? [],
    quarantinedAt: r.quarantinedAt ?? null,
    quarantineSites: r.quarantineSites ?? [],
  };
}

/**
 * The business transaction that ties an event to a recall: the quarantine events carry it, and a
 * partner may put it on the events it sends about the recall. Such an event is in the recall's scope.
 */
export const RECALL_BIZ_TRANSACTION_TYPE = 'urn:unitrail:btt:recall';
export const recallTransaction = (recallId: string) => `urn:unitrail:recall:${recallId}`;

/** Active recalls with the identifiers named in them indexed; build once per change of the recall set. */
export interface RecallIndex {
  active: Recall[];
  byId: Map<string, Recall>;
  /** Container or unit URI → the recall that named it when declared. */
  byUri: Map<string, Recall>;
}

export function indexRecalls(recalls: readonly Recall[]): RecallIndex {
  const active = recalls.filter((r) => r.status === 'active');
  const byUri = new Map<string, Recall>();
  for (const r of active) {
    for (const uri of r.containers) if (!byUri.has(uri)) byUri.set(uri, r);
    for (const uri of r.units) if (!byUri.has(uri)) byUri.set(uri, r);
  }
  return { active, byId: new Map(active.map((r) => [r.recallId, r])), byUri };
}

/**
 * What one router instance learns while it runs. A unit seen in an event of a declared scope joins
 * it (a partner's later event names the unit without its lot); the parent of an AggregationEvent
 * ADD whose children are in scope joins it (a case packed with recalled units, the pallet built
 * from such cases). Recent child → parent links are kept too, so a pallet built before its cases
 * were known to be in scope still joins when they are. Both maps are bounded (oldest out first).
 * In memory, per instance: another router instance, or this one after a restart, knows only what
 * the recall record says.
 */
export interface ScopeMemory {
  /** Unit or container URI → recall id. */
  inScope: Map<string, string>;
  /** Child URI → parent URI of recent AggregationEvent ADDs, oldest first. */
  parents: Map<string, string>;
  maxInScope: number;
  maxParents: number;
}

export function createScopeMemory({
  maxInScope = 500_000,
  maxParents = 200_000,
}: { maxInScope?: number; maxParents?: number } = {}): ScopeMemory {
  return { inScope: new Map(), parents: new Map(), maxInScope, maxParents };
}

const unitMatches = (
  r: Recall,
  id: { gtin: string | null; lot: string | null; serial: string | null },
): boolean =>
  id.gtin === r.gtin &&
  (r.lots.length === 0 || (id.lot !== null && r.lots.includes(id.lot))) &&
  (r.serials.length === 0 || (id.serial !== null && r.serials.includes(id.serial)));

/** Does the recall's declared scope (GTIN, lots, serials, device, time window) cover the event itself? */
export function inDeclaredScope(event: SerializationEvent, r: Recall): boolean {
  if (r.status !== 'active') return false;
  if (r.deviceId && event.machineId !== r.deviceId) return false;
  if (r.fromTime !== null && event.eventTime < r.fromTime) return false;
  if (r.toTime !== null && event.eventTime > r.toTime) return false;
  return touchedIdentifiers(event).some(({ id }) => unitMatches(r, id));
}

/**
 * The active recall whose scope covers the event, or null. In order: the event names the recall as a
 * business transaction; the declared scope covers it; it touches a unit or container resolved when
 * the recall was declared; it touches a unit or container this router learned (memory).
 */
export function recallFor(
  event: SerializationEvent,
  recalls: readonly Recall[] | RecallIndex,
  memory?: ScopeMemory,
): Recall | null {
  const index = Array.isArray(recalls) ? indexRecalls(recalls) : (recalls as RecallIndex);
  if (index.active.length === 0) return null;
  for (const t of event.bizTransactionList ?? []) {
    if (t.type !== RECALL_BIZ_TRANSACTION_TYPE) continue;
    const r = index.byId.get(t.id.replace(/^urn:unitrail:recall:/, ''));
    if (r) return r;
  }
  for (const r of index.active) if (inDeclaredScope(event, r)) return r;
  for (const { id } of touchedIdentifiers(event)) {
    const named = index.byUri.get(id.uri);
    if (named) return named;
    const learned = memory?.inScope.get(id.uri);
    const r = learned === undefined ? undefined : index.byId.get(learned);
    if (r) return r;
  }
  return null;
}

/**
 * Updates the memory with an event the router has just placed (in `recall`, or in none): its units
 * of the declared scope, and the parent of an AggregationEvent ADD with children in scope (with
 * every ancestor known from recent ADDs) join the recall.
 */
export function learnScope(
  event: SerializationEvent,
  recall: Recall | null,
  index: RecallIndex,
  memory: ScopeMemory,
): void {
  const adds = event.eventType === 'AggregationEvent' && event.action === 'ADD' && event.parentId !== null;
  if (adds) {
    for (const child of event.childEpcs)
      setNewest(memory.parents, child.uri, event.parentId!.uri, memory.maxParents);
  }
  if (!recall) return;
  const { recallId } = recall;
  for (const { id } of touchedIdentifiers(event)) {
    if (unitMatches(recall, id)) setNewest(memory.inScope, id.uri, recallId, memory.maxInScope);
  }
  if (!adds) return;
  // Only children in scope put the parent in scope; an ADD of other goods into an in-scope parent adds nothing.
  const childInScope = event.childEpcs.some(
    (c) => memory.inScope.get(c.uri) === recallId || index.byUri.get(c.uri)?.recallId === recallId,
  );
  if (!childInScope) return;
  let uri: string | undefined = event.parentId!.uri;
  for (let depth = 0; uri !== undefined && depth < 8; depth++) {
    if (depth > 0 && memory.inScope.get(uri) === recallId) break;
    setNewest(memory.inScope, uri, recallId, memory.maxInScope);
    uri = memory.parents.get(uri);
  }
}

/** Business steps and dispositions that say goods are leaving or changing hands. */
const movingBizSteps = new Set([
  'shipping',
  'departing',
  'arriving',
  'receiving',
  'loading',
  'transporting',
  'picking',
  'staging_outbound',
  'retail_selling',
  'dispensing',
]);
const movingDispositions = new Set(['in_transit', 'retail_sold', 'dispensed']);
/** A move under these dispositions is the recall itself at work (sending goods back, destroying them). */
const recallDispositions = new Set(['recalled', 'returned', 'non_sellable_other', 'destroyed', 'disposed']);

/** The bare CBV term of a business step or disposition given as a term, a CBV URI or an EPC URN. */
export const cbvTerm = (v: string | null) => (v ?? '').replace(/^.*[/:]/, '').replace(/^(BizStep|Disp)-/, '');

/** GLN of a location URI (SGLN Digital Link .../414/<gln>, or urn:epc:id:sgln is not expected here). */
const glnOf = (uri: string | null) => (uri ? (/\/414\/(\d{13})/.exec(uri)?.[1] ?? null) : null);

/**
 * Is the event, already known to be in `recall`'s scope, a move of quarantined goods? Only events
 * after the quarantine, at a site it covers (bizLocation, readPoint or source), that ship, depart,
 * receive, sell... and not under a recall disposition (returning goods is what a recall asks for).
 */
export function quarantineBreach(event: SerializationEvent, recall: Recall): boolean {
  if (recall.quarantinedAt === null || event.eventTime <= recall.quarantinedAt) return false;
  const step = cbvTerm(event.bizStep);
  const disposition = cbvTerm(event.disposition);
  if (recallDispositions.has(disposition)) return false;
  if (!movingBizSteps.has(step) && !movingDispositions.has(disposition)) return false;
  if (recall.quarantineSites.length === 0) return true;
  const places = [
    glnOf(event.bizLocation),
    glnOf(event.readPoint),
    ...(event.sourceList ?? []).map((s) => glnOf(s.id)),
  ];
  return places.some((g) => g !== null && recall.quarantineSites.includes(g));
}
