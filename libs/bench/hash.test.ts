import { benchHash, sampleEvent } from './hash';
import { preHash, validateEvent } from '../epcis';

describe('bench hash', () => {
  it('hashes a realistic mix of valid events whose identifiers all canonicalise', () => {
    const types = new Set<string>();
    for (let n = 0; n < 2000; n++) {
      const event = validateEvent(sampleEvent(n), (field) => `sampleEvent(${n})${field}`);
      types.add(event.type);
      expect(preHash(event)).not.toMatch(/urn:epc:/);
    }
    expect([...types].sort()).toEqual([
      'AggregationEvent',
      'ObjectEvent',
      'TransactionEvent',
      'TransformationEvent',
    ]);
  });

  it('reports events, seconds and a rate (never asserted: timings are for the command)', () => {
    const result = benchHash({ events: 500, batch: 100 });
    expect(result.events).toBe(500);
    expect(result.seconds).toBeGreaterThan(0);
    expect(result.eventsPerSecond).toBeGreaterThan(0);
    expect(result.wallSeconds).toBeGreaterThanOrEqual(0);
  });
});
