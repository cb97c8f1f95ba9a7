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

describe('secured connection settings', () => {
  it('reads SASL and TLS settings and checks those that go together', () => {
    expect(loadConfig({}).kafkaSaslMechanism).toBe('none');
    expect(
      loadConfig({
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      }),
    ).toMatchObject({ kafkaSaslMechanism: 'scram-sha-512', kafkaSaslUsername: 'u' });
    expect(() => loadConfig({ KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(
      'KAFKA_SASL_MECHANISM=gssapi must be one of none, plain, scram-sha-256, scram-sha-512',
    );
    expect(() => loadConfig({ KAFKA_SASL_MECHANISM: 'plain' })).toThrow(/needs KAFKA_SASL_USERNAME/);
    expect(() => loadConfig({ DATABASE_SSL_MODE: 'prefer' })).toThrow(
      /DATABASE_SSL_MODE=prefer must be one of/,
    );
    expect(() => loadConfig({ KAFKA_TLS: 'maybe' })).toThrow('KAFKA_TLS=maybe must be true or false');
  });
  it('names an unreadable or non-PEM file', () => {
    expect(() => loadConfig({ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: '/nonexistent/ca.pem' })).toThrow(
      'KAFKA_TLS_CA_FILE=/nonexistent/ca.pem cannot be read (ENOENT)',
    );
    expect(() => loadConfig({ DATABASE_SSL_MODE: 'verify-full', DATABASE_SSL_CA_FILE: __filename })).toThrow(
      /is not a PEM file/,
    );
  });
});
