/**
 * Settings for secured clusters (issue 13 §4), proven against the local broker's SASL_PLAINTEXT
 * listener (KAFKA_SASL_PORT, default KAFKA_PORT + 2; `stack up` creates its SCRAM user): clients
 * built from the settings connect with SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN, and wrong
 * credentials are refused with one clear line, by the library and by the CLI.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../libs/config';
import { createKafka, kafkaConnection, withAdmin } from '../libs/kafka';
import { kafkaEndpoint } from '../libs/stack';
import { LOCAL_SASL_USER } from '../libs/stack';
import { topics } from '../libs/topics';
import { waitFor } from './helpers';

jest.setTimeout(120_000);

const sasl = kafkaEndpoint();
const saslBrokers = `127.0.0.1:${sasl.saslPort}`;
const envFor = (mechanism: string, password: string = LOCAL_SASL_USER.password) => ({
  ...process.env,
  KAFKA_BROKERS: saslBrokers,
  KAFKA_PORT: '',
  KAFKA_SASL_MECHANISM: mechanism,
  KAFKA_SASL_USERNAME: LOCAL_SASL_USER.username,
  KAFKA_SASL_PASSWORD: password,
});

describe('Kafka SASL settings', () => {
  it.each(['scram-sha-256', 'scram-sha-512', 'plain'])(
    'a client made from the settings logs in with %s, produces and reads back',
    async (mechanism) => {
      const config = loadConfig(envFor(mechanism));
      const kafka = createKafka({ ...kafkaConnection(config), clientId: `secured-${mechanism}` });
      const scratch = `ut.test.secured.${mechanism}.${Date.now()}`;
      const names = await withAdmin(kafka, async (admin) => {
        await admin.createTopics({ waitForLeaders: true, topics: [{ topic: scratch, numPartitions: 1 }] });
        return admin.listTopics();
      });
      expect(names).toContain(topics.journey.name);
      expect(names).toContain(scratch);

      const producer = kafka.producer();
      await producer.connect();
      // A topic just created may not be known to the partition leader for a moment.
      await waitFor('the new topic to take a record', () =>
        producer
          .send({ topic: scratch, acks: -1, messages: [{ key: 'k', value: mechanism }] })
          .then(() => true)
          .catch(() => false),
      );
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: `${scratch}.reader` });
      await consumer.connect();
      await consumer.subscribe({ topic: scratch, fromBeginning: true });
      const read = new Promise<string>((resolve) => {
        void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
      });
      expect(await read).toBe(mechanism);
      await consumer.disconnect();
      await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: [scratch] }));
    },
  );

  it('refuses a wrong password with one clear line (library)', async () => {
    const config = loadConfig(envFor('scram-sha-256', 'wrong-password'));
    const kafka = createKafka({ ...kafkaConnection(config) });
    const err = await withAdmin(kafka, (admin) => admin.listTopics()).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `kafka: ${saslBrokers} refused the login as '${LOCAL_SASL_USER.username}' with SCRAM-SHA-256: check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
    );
    expect((err as { retriable: boolean }).retriable).toBe(false);
  });

  it('the CLI connects with SCRAM settings, and exits non-zero with one line on a wrong password', () => {
    const cli = path.join(__dirname, '..', 'bin', 'unitrail');
    const ok = spawnSync(cli, ['topics', 'create'], { env: envFor('scram-sha-512'), encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout + ok.stderr).toContain(topics.journey.name);

    const bad = spawnSync(cli, ['topics', 'create'], {
      env: envFor('scram-sha-512', 'wrong-password'),
      encoding: 'utf8',
    });
    expect(bad.status).not.toBe(0);
    // Above it, at LOG_LEVEL=warn, kafkajs' own log lines; the command's error is its last line, one line.
    const last = bad.stderr.trim().split('\n').pop();
    expect(last).toBe(
      `unitrail topics create: kafka: ${saslBrokers} refused the login as 'unitrail' with SCRAM-SHA-512: check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
    );
  });

  it('names a missing password before connecting', () => {
    expect(() => loadConfig({ ...envFor('scram-sha-256'), KAFKA_SASL_PASSWORD: '' })).toThrow(
      'KAFKA_SASL_MECHANISM=scram-sha-256 needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    );
  });
});
