import { generateDemo } from '../demo';
import { touchedIdentifiers, type SerializationEvent } from '../events';
import { normalize } from '../sources';
import { quantile, summarize, surgeRecall, surgeRecords } from './surge';
import type { DemoRecord } from '../demo';

const lineage = { topic: '', partition: 0, offset: 0, schemaId: 0 };
const events = (records: DemoRecord[]): SerializationEvent[] =>
  records.map((r) => normalize(r.topic, r.value, { ...lineage, topic: r.topic }));
const inScope = (e: SerializationEvent, gtin: string, lots: string[]) =>
  touchedIdentifiers(e).some(({ id }) => id.gtin === gtin && id.lot !== null && lots.includes(id.lot));

describe('bench surge', () => {
  it('makes surge records that are all in the recall scope, while the normal stream is not', () => {
    const recall = surgeRecall('R-BENCH', 'LSURGE1');
    const surge = surgeRecords({ count: 500, seed: 7, lot: 'LSURGE1' });
    expect(surge).toHaveLength(500);
    expect(events(surge).every((e) => inScope(e, recall.gtin, recall.lots))).toBe(true);
    expect(new Set(events(surge).map((e) => e.eventId)).size).toBe(500);
    const normal = generateDemo({ events: 500, seed: 8 });
    expect(events(normal).some((e) => inScope(e, recall.gtin, recall.lots))).toBe(false);
    // nothing in common, not even a case: the router would follow a shared container into the recall
    const uris = (es: SerializationEvent[]) =>
      new Set(es.flatMap((e) => touchedIdentifiers(e).map((t) => t.id.uri)));
    const normalUris = uris(events(normal));
    expect([...uris(events(surge))].filter((u) => normalUris.has(u))).toEqual([]);
  });

  it('takes quantiles by nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0.99)).toBe(99);
    expect(quantile(values, 1)).toBe(100);
    expect(quantile([], 0.99)).toBeNaN();
    expect(summarize([5, 1, 3])).toEqual({ events: 3, p50_ms: 3, p99_ms: 5, max_ms: 5 });
  });
});
