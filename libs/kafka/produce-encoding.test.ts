import { createRequire } from 'node:module';
import {
  encodeProduceInOnePass,
  encodeProducePayload,
  type ProduceArgs,
  type ProduceMessage,
} from './produce-encoding';

const kafkajs = createRequire(require.resolve('kafkajs'));
type Encoded = { buffer: Buffer };
/** kafkajs's own Produce v3 request, not the patched protocol table. */
const kafkajsV3 = kafkajs('./src/protocol/requests/produce/v3/request') as (a: ProduceArgs) => {
  encode: () => Promise<Encoded>;
};
const Long = kafkajs('./src/utils/long') as { fromInt(n: number): unknown; fromValue(v: unknown): unknown };
const produceRequests = kafkajs('./src/protocol/requests/produce') as {
  protocol: (o: { version: number }) => (a: ProduceArgs) => {
    request: { apiVersion: number; encode: () => Promise<Encoded> };
  };
};

const NOW = 1_764_633_600_123;
beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
afterEach(() => jest.restoreAllMocks());

/** A small deterministic generator, so a failing case can be rerun. */
function generator(seed: number) {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: T[]): T => xs[int(xs.length)]!;
  const text = () => pick(['', 'a', 'ut-origin-ts', 'état-ß-✓', 'ключ', '🙂 emoji', 'x'.repeat(200)]);
  const bytes = (max: number) => {
    const b = Buffer.alloc(int(max));
    for (let i = 0; i < b.length; i++) b[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
    return b;
  };
  const keyOrValue = (max: number): ProduceMessage['value'] =>
    pick([
      null,
      undefined,
      'str',
      text(),
      bytes(max),
      bytes(max),
      Buffer.alloc(0),
    ]) as ProduceMessage['value'];
  const headers = (): ProduceMessage['headers'] => {
    const h: NonNullable<ProduceMessage['headers']> = {};
    for (let i = int(4); i > 0; i--) {
      const k = pick(['ut-origin-ts', 'ut-stage', 'ключ', `h${i}`]);
      h[k] = pick<string | Buffer | (string | Buffer)[]>([
        String(NOW - int(1000)),
        text(),
        bytes(40),
        [text(), bytes(10)],
        [],
      ]);
    }
    return pick([undefined, {}, h, h]);
  };
  const message = (): ProduceMessage => {
    const m: ProduceMessage = { value: keyOrValue(3000) };
    const key = keyOrValue(60);
    if (key !== undefined || int(2)) m.key = key;
    const h = headers();
    if (h !== undefined) m.headers = h;
    return m;
  };
  const args = (): ProduceArgs => ({
    acks: pick([-1, 1, 0]),
    timeout: pick([30_000, 5000]),
    ...(int(3) === 0 ? { transactionalId: pick(['tx-1', 'ü-tx', null]) } : {}),
    ...(int(2) === 0
      ? { producerId: pick([Long.fromInt(-1), Long.fromValue('123456789012'), Long.fromInt(7)]) }
      : {}),
    ...(int(2) === 0 ? { producerEpoch: int(6) } : {}),
    topicData: Array.from({ length: 1 + int(3) }, (_, t) => ({
      topic: pick(['ut.journey.v1', 'ut.validated.v1', `t-${t}-ü`]),
      partitions: Array.from({ length: 1 + int(3) }, (_, p) => ({
        partition: p + int(5),
        ...(int(2) ? { firstSequence: int(100_000) } : {}),
        messages: Array.from({ length: int(6) === 0 ? 0 : 1 + int(40) }, message),
      })),
    })),
  });
  return { args };
}

describe('encodeProducePayload', () => {
  it("writes kafkajs's bytes for every request it takes (200 generated requests)", async () => {
    const differ: number[] = [];
    for (let seed = 1; seed <= 200; seed++) {
      const args = generator(seed).args();
      const ours = encodeProducePayload(args);
      const theirs = (await kafkajsV3(args).encode()).buffer;
      if (ours === null || !ours.equals(theirs)) differ.push(seed);
    }
    expect(differ).toEqual([]);
  });

  it('leaves to kafkajs a compressed request, a message with its own timestamp, and a value or header it would refuse', () => {
    const base = (messages: ProduceMessage[], extra: Partial<ProduceArgs> = {}): ProduceArgs => ({
      acks: -1,
      timeout: 30_000,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }],
      ...extra,
    });
    expect(encodeProducePayload(base([{ value: 'v' }]))).not.toBeNull();
    expect(encodeProducePayload(base([{ value: 'v' }], { compression: 1 }))).toBeNull();
    expect(encodeProducePayload(base([{ value: 'v', timestamp: NOW - 5 }]))).toBeNull();
    expect(encodeProducePayload(base([{ value: 42 as unknown as string }]))).toBeNull();
    expect(encodeProducePayload(base([{ value: 'v', headers: { h: null } }]))).toBeNull();
  });
});

describe('encodeProduceInOnePass', () => {
  it('makes every Produce version from 3 on encode in one pass, and keeps each version and older ones', async () => {
    const args = generator(7).args();
    const expected = (await kafkajsV3(args).encode()).buffer;
    const before = Object.fromEntries(
      [2, 3, 7].map((v) => [v, produceRequests.protocol({ version: v })(args).request.encode]),
    );
    encodeProduceInOnePass();
    encodeProduceInOnePass(); // idempotent: one wrapper, not two
    for (const version of [3, 4, 5, 6, 7]) {
      const { request } = produceRequests.protocol({ version })(args);
      expect(request.apiVersion).toBe(version);
      expect((await request.encode()).buffer.equals(expected)).toBe(true);
    }
    expect(produceRequests.protocol({ version: 3 })(args).request.encode).not.toBe(before[3]);
    // v2 (old brokers) is kafkajs's, untouched.
    expect(produceRequests.protocol({ version: 2 })(args).request.encode.toString()).toBe(
      before[2]!.toString(),
    );
  });
});
