import fs from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { allTopics, topics, SURGE_FACTOR } from '.';

describe('topic registry', () => {
  it('gives the surge topic several times the partitions of the journey topic', () => {
    expect(SURGE_FACTOR).toBeGreaterThanOrEqual(2);
    expect(topics.journeySurge.partitions).toBe(topics.journey.partitions * SURGE_FACTOR);
  });
  it('has unique names and a parseable schema file for every topic', () => {
    expect(new Set(allTopics.map((t) => t.name)).size).toBe(allTopics.length);
    for (const t of allTopics) {
      const file = path.join(__dirname, '../../avro', `${t.valueSchema}.avsc`);
      expect(() => avro.Type.forSchema(JSON.parse(fs.readFileSync(file, 'utf8')))).not.toThrow();
    }
  });
  it('compacts the state topics and only those', () => {
    const compacted = allTopics
      .filter((t) => (t.config as Record<string, string>)['cleanup.policy'] === 'compact')
      .map((t) => t.name);
    expect(compacted.sort()).toEqual([topics.masterdata.name, topics.recalls.name].sort());
  });
});
