/** Avro in the Confluent wire format against the real schema registry. */
import { createCodec, schemaIdOf } from '../libs/avro';
import { topics } from '../libs/topics';
import { config } from './helpers';

const codec = createCodec({ url: config.schemaRegistryUrl });
const alert = {
  alertId: 'a1',
  kind: 'test',
  severity: 'info',
  message: 'hello',
  recallId: null,
  partner: null,
  eventId: null,
  createdAt: 1,
  payload: null,
};

describe('schema registry codec', () => {
  beforeAll(async () => {
    await codec.registerAll();
  });

  it('registers every topic schema idempotently', async () => {
    const a = await codec.registerAll();
    const b = await codec.registerAll();
    expect([...b]).toEqual([...a]);
    expect(a.size).toBe(Object.keys(topics).length);
  });

  it('encodes with the topic schema id and decodes by it', async () => {
    const buf = await codec.encode(topics.alerts.name, alert);
    expect(buf[0]).toBe(0);
    const { value, schemaId } = await codec.decode(buf);
    expect(schemaId).toBe(schemaIdOf(buf));
    expect({ ...(value as object) }).toEqual(alert);
  });

  it.each([
    ['random bytes', Buffer.from('definitely not avro'), 'DECODE_FRAMING'],
    ['an empty value', Buffer.alloc(0), 'DECODE_FRAMING'],
    ['an unknown schema id', Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2]), 'DECODE_UNKNOWN_SCHEMA'],
  ])('refuses %s with a DLQ reason', async (_what, buf, code) => {
    await expect(codec.decode(buf)).rejects.toMatchObject({ reasons: [expect.objectContaining({ code })] });
  });

  it('refuses truncated Avro with a DLQ reason', async () => {
    const buf = await codec.encode(topics.alerts.name, alert);
    await expect(codec.decode(buf.subarray(0, 9))).rejects.toMatchObject({
      reasons: [expect.objectContaining({ code: 'DECODE_AVRO' })],
    });
  });

  it('finds avro/ BACKWARD compatible with what is registered', async () => {
    const results = await codec.checkCompatibility();
    expect(results.filter((r) => !r.compatible)).toEqual([]);
  });
});
