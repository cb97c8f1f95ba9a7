/** Recall scopes and the test of whether an event is in one. */
import type { SerializationEvent } from '../events';
import { touchedIdentifiers } from '../events';

export interface Recall {
  recallId: string;
  status: 'active' | 'closed' | string;
  reason: string;
  gtin: string;
  lots: string[];
  serials: string[];
  fromTime: number | null;
  toTime: number | null;
  deviceId: string | null;
  declaredAt: number;
  closedAt: number | null;
  declaredBy: string | null;
}

/** The first active recall whose scope covers the event, or null. */
export function recallFor(event: SerializationEvent, active: readonly Recall[]): Recall | null {
  if (active.length === 0) return null;
  const ids = touchedIdentifiers(event).map((t) => t.id);
  for (const r of active) {
    if (r.status !== 'active') continue;
    if (r.deviceId && event.machineId !== r.deviceId) continue;
    if (r.fromTime !== null && event.eventTime < r.fromTime) continue;
    if (r.toTime !== null && event.eventTime > r.toTime) continue;
    const hit = ids.some(
      (id) =>
        id.gtin === r.gtin &&
        (r.lots.length === 0 || (id.lot !== null && r.lots.includes(id.lot))) &&
        (r.serials.length === 0 || (id.serial !== null && r.serials.includes(id.serial))),
    );
    if (hit) return r;
  }
  return null;
}
