import { loadConfig } from '../config';
import { kafkaConnection, kafkaConnectError } from '.';

describe('kafkaConnection', () => {
  it('passes no security by default', () => {
    expect(kafkaConnection(loadConfig({ KAFKA_BROKERS: 'k:1' }))).toEqual({ brokers: ['k:1'] });
  });
  it('maps SASL and TLS settings to kafkajs options', () => {
    const c = loadConfig({
      KAFKA_BROKERS: 'k:1',
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
      KAFKA_TLS: 'true',
    });
    expect(kafkaConnection(c)).toEqual({
      brokers: ['k:1'],
      sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' },
      ssl: true,
    });
  });
  it('tells a refused login apart from an outage, by kafkajs error type', () => {
    const auth = Object.assign(new Error('SASL SCRAM SHA256 authentication failed'), {
      name: 'KafkaJSSASLAuthenticationError',
    });
    const refused = kafkaConnectError(auth, ['k:1'], { mechanism: 'plain', username: 'u', password: 'p' });
    expect(refused.code).toBe('KAFKA_AUTH');
    expect(refused.retriable).toBe(false);
    const down = kafkaConnectError(new Error('Connection error: connect ECONNREFUSED'), ['k:1']);
    expect(down.retriable).toBe(true);
  });
});
