import { isLoopback, kafkaEndpoint, registryEndpoint, withPort } from './endpoints';

describe('kafkaEndpoint', () => {
  it('defaults to 127.0.0.1:9092 with the controller on the next port and SASL on the one after', () => {
    expect(kafkaEndpoint({})).toEqual({
      local: true,
      brokers: ['127.0.0.1:9092'],
      host: '127.0.0.1',
      port: 9092,
      controllerPort: 9093,
      saslPort: 9094,
    });
  });

  it('listens where KAFKA_BROKERS points when that is this machine', () => {
    const k = kafkaEndpoint({ KAFKA_BROKERS: 'localhost:19092' });
    expect(k).toMatchObject({ local: true, host: '127.0.0.1', port: 19092, controllerPort: 19093 });
  });

  it('takes KAFKA_PORT and KAFKA_CONTROLLER_PORT when KAFKA_BROKERS is not set', () => {
    const k = kafkaEndpoint({ KAFKA_PORT: '29092', KAFKA_CONTROLLER_PORT: '29999' });
    expect(k).toMatchObject({ brokers: ['127.0.0.1:29092'], port: 29092, controllerPort: 29999 });
  });

  it('refuses a KAFKA_PORT that disagrees with KAFKA_BROKERS', () => {
    expect(() => kafkaEndpoint({ KAFKA_BROKERS: '127.0.0.1:9092', KAFKA_PORT: '9094' })).toThrow(/disagrees/);
  });

  it('does not run a broker for a remote cluster', () => {
    expect(kafkaEndpoint({ KAFKA_BROKERS: 'kafka-1:9092,kafka-2:9092' }).local).toBe(false);
  });
});

describe('registryEndpoint', () => {
  it('defaults to Apicurio ccompat on 127.0.0.1:8081', () => {
    expect(registryEndpoint({})).toEqual({
      local: true,
      url: 'http://127.0.0.1:8081/apis/ccompat/v7',
      host: '127.0.0.1',
      port: 8081,
    });
  });

  it('listens on the port of a local SCHEMA_REGISTRY_URL', () => {
    expect(registryEndpoint({ SCHEMA_REGISTRY_URL: 'http://localhost:18081/apis/ccompat/v7' })).toMatchObject(
      {
        local: true,
        port: 18081,
      },
    );
  });

  it('only checks a remote registry', () => {
    expect(
      registryEndpoint({ SCHEMA_REGISTRY_URL: 'https://registry.example.com/apis/ccompat/v7' }),
    ).toMatchObject({
      local: false,
      port: 443,
    });
  });
});

describe('helpers', () => {
  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'].every(isLoopback)).toBe(true);
    expect(['10.0.0.1', 'db', '0.0.0.0'].some(isLoopback)).toBe(false);
  });

  it('moves a URL to another loopback port, keeping user and database', () => {
    expect(withPort('postgresql://postgres@localhost:5432/unitrail', 41000)).toBe(
      'postgresql://postgres@127.0.0.1:41000/unitrail',
    );
    expect(withPort('redis://127.0.0.1:6379/0', 41001)).toBe('redis://127.0.0.1:41001/0');
  });
});
