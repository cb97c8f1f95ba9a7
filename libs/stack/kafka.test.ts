import { kafkaServerProperties, newClusterId } from './kafka';

const parse = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('kafkaServerProperties', () => {
  const props = parse(
    kafkaServerProperties({ host: '127.0.0.1', port: 9092, controllerPort: 9093, dataDir: '/s/kafka/data' }),
  );

  it('describes one KRaft node that is broker and controller, on loopback', () => {
    expect(props['process.roles']).toBe('broker,controller');
    expect(props['node.id']).toBe('1');
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:9093');
    expect(props['listeners']).toBe('PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093');
    expect(props['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:9092');
    expect(props['controller.listener.names']).toBe('CONTROLLER');
    expect(props['log.dirs']).toBe('/s/kafka/data');
  });

  it('keeps internal topics at replication 1 and leaves topic creation to unitrail', () => {
    expect(props['offsets.topic.replication.factor']).toBe('1');
    expect(props['transaction.state.log.replication.factor']).toBe('1');
    expect(props['transaction.state.log.min.isr']).toBe('1');
    expect(props['auto.create.topics.enable']).toBe('false');
    expect(props['num.partitions']).toBe('3');
    expect(props['group.initial.rebalance.delay.ms']).toBe('0');
  });

  it('follows other ports', () => {
    const other = parse(
      kafkaServerProperties({ host: '127.0.0.1', port: 29092, controllerPort: 29093, dataDir: '/d' }),
    );
    expect(other['listeners']).toBe('PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093');
  });

  it('escapes backslashes, which .properties files treat as escapes', () => {
    const text = kafkaServerProperties({
      host: '127.0.0.1',
      port: 1,
      controllerPort: 2,
      dataDir: 'C:\\data',
    });
    expect(text).toContain('log.dirs=C:\\\\data');
  });
});

describe('newClusterId', () => {
  it('is 22 URL-safe base64 characters that never start with a dash', () => {
    for (let i = 0; i < 200; i++) {
      const id = newClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});

describe('the SASL listener', () => {
  const props = parse(
    kafkaServerProperties({
      host: '127.0.0.1',
      port: 9092,
      controllerPort: 9093,
      saslPort: 9094,
      dataDir: '/d',
    }),
  );
  it('adds SASL_PLAINTEXT with SCRAM-SHA-256/512 and PLAIN beside PLAINTEXT', () => {
    expect(props['listeners']).toBe(
      'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,SASL_PLAINTEXT://127.0.0.1:9094',
    );
    expect(props['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://127.0.0.1:9094');
    expect(props['listener.security.protocol.map']).toContain('SASL_PLAINTEXT:SASL_PLAINTEXT');
    expect(props['sasl.enabled.mechanisms']).toBe('SCRAM-SHA-256,SCRAM-SHA-512,PLAIN');
    expect(props['inter.broker.listener.name']).toBe('PLAINTEXT');
    expect(props['listener.name.sasl_plaintext.plain.sasl.jaas.config']).toContain('user_unitrail=');
  });
});
