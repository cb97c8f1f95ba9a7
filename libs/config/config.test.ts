import { describeSettings, loadConfig } from '.';
import { ConfigError } from '../errors';

describe('config', () => {
  it('has defaults for the local stack', () => {
    const c = loadConfig({});
    expect(c.kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(c.schemaRegistryUrl).toMatch(/\/apis\/ccompat\/v7$/);
    expect(c.batchSize).toBe(500);
  });
  it('reads the environment', () => {
    expect(loadConfig({ KAFKA_BROKERS: 'a:1, b:2', BATCH_SIZE: '50' })).toMatchObject({
      kafkaBrokers: ['a:1', 'b:2'],
      batchSize: 50,
    });
  });
  it('names the bad variable in one line', () => {
    expect(() => loadConfig({ BATCH_SIZE: 'lots' })).toThrow(
      new ConfigError('BATCH_SIZE=lots is not a whole number from 1 to 100000'),
    );
    expect(() => loadConfig({ KAFKA_BROKERS: 'nohost' })).toThrow(/KAFKA_BROKERS=nohost/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL.*postgres/);
  });
  it('documents every setting', () => {
    expect(describeSettings()).toContain('`REDIS_URL`');
  });
});
