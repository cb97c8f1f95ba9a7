import { DependencyError } from '../errors';
import type { Logger } from '../log';
import { createRetry } from '../retry';
import type { RuntimeEvent } from './events';
import { createHealth } from './health';
import { createConsumerLoop, type ConsumerPort, type EachBatchPayload } from './loop';
import type { Batch, BatchProcessor, ConsumedMessage } from './processor';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
const msgs = (from: number, n: number): ConsumedMessage[] =>
  Array.from({ length: n }, (_, i) => ({
    offset: String(from + i),
    key: null,
    value: Buffer.from('x'),
    timestamp: '0',
  }));
const flush = () => new Promise((r) => setImmediate(r));

/** A consumer without a broker: the test delivers batches, joins and crashes by hand. */
function fakeConsumer() {
  const on = {
    connect: [] as (() => void)[],
    join: [] as ((a: Record<string, number[]>) => void)[],
    crash: [] as ((e: unknown, r: boolean) => void)[],
  };
  let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
  const commits: string[] = [];
  const resolved: string[] = [];
  const port: ConsumerPort & { disconnect: jest.Mock } = {
    connect: async () => on.connect.forEach((l) => l()),
    disconnect: jest.fn(async () => {}),
    subscribe: async () => {},
    run: async (o) => void (eachBatch = o.eachBatch),
    commit: async (topic, partition, offset) => void commits.push(`${topic}/${partition}@${offset}`),
    onConnect: (l) => void on.connect.push(l),
    onJoin: (l) => void on.join.push(l),
    onCrash: (l) => void on.crash.push(l),
  };
  return {
    port,
    commits,
    resolved,
    join: () => on.join.forEach((l) => l({ 'ut.in.v1': [0] })),
    crash: (error: unknown, restart = false) => on.crash.forEach((l) => l(error, restart)),
    reconnect: () => on.connect.forEach((l) => l()),
    deliver: (
      messages: ConsumedMessage[],
      { isStale = (): boolean => false, heartbeat = async (): Promise<void> => {} } = {},
    ) =>
      eachBatch!({
        batch: { topic: 'ut.in.v1', partition: 0, messages, offsetLag: () => '0' },
        resolveOffset: (o) => void resolved.push(o),
        heartbeat,
        isRunning: () => true,
        isStale,
      }),
  };
}

function setUp({
  process = async (b: Batch) => ({
    records: b.messages.length,
    produced: 0,
    dlq: 0,
    dropped: 0,
    isolated: 0,
  }),
  batchSize = 500,
  sleep = async (_ms: number) => {},
  health = createHealth(),
  maxCrashes = 10,
  heartbeatEveryMs,
  heartbeatForMs,
}: {
  process?: BatchProcessor['process'];
  batchSize?: number;
  sleep?: (ms: number) => Promise<void>;
  health?: ReturnType<typeof createHealth>;
  maxCrashes?: number;
  heartbeatEveryMs?: number;
  heartbeatForMs?: number;
} = {}) {
  const consumers: ReturnType<typeof fakeConsumer>[] = [];
  const restartAsked: (() => boolean)[] = [];
  const events: RuntimeEvent[] = [];
  const onFatal = jest.fn();
  const loop = createConsumerLoop({
    stage: 'test-stage',
    groupId: 'ut.test-stage',
    topics: ['ut.in.v1'],
    createConsumer: ({ restartOnFailure }) => {
      const c = fakeConsumer();
      consumers.push(c);
      restartAsked.push(restartOnFailure);
      return c.port;
    },
    processor: { process },
    batchSize,
    retry: createRetry({ retries: Infinity, sleep }),
    connectRetry: createRetry({ retries: 0 }),
    restartDelayMs: () => 0,
    maxCrashes,
    health,
    emit: (e) => events.push(e),
    log: quiet,
    onFatal,
    sleep: async () => {},
    heartbeatEveryMs,
    heartbeatForMs,
  });
  return { loop, consumers, restartAsked, events, onFatal, health };
}

describe('the Kafka loop', () => {
  it('commits each chunk after the processor returns, past its last offset', async () => {
    const seen: string[][] = [];
    const { loop, consumers } = setUp({
      batchSize: 2,
      process: async (b) => {
        seen.push(b.messages.map((m) => m.offset));
        return { records: b.messages.length, produced: 0, dlq: 0, dropped: 0, isolated: 0 };
      },
    });
    await loop.start();
    await consumers[0]!.deliver(msgs(10, 5));
    expect(seen).toEqual([['10', '11'], ['12', '13'], ['14']]);
    expect(consumers[0]!.commits).toEqual(['ut.in.v1/0@12', 'ut.in.v1/0@14', 'ut.in.v1/0@15']);
    expect(consumers[0]!.resolved).toEqual(['11', '13', '14']);
  });

  it('never commits a chunk the processor failed on', async () => {
    const { loop, consumers } = setUp({ process: async () => Promise.reject(new TypeError('a bug')) });
    await loop.start();
    await expect(consumers[0]!.deliver(msgs(0, 3))).rejects.toThrow('a bug');
    expect(consumers[0]!.commits).toEqual([]);
  });

  it('retries a chunk while a dependency is down, heartbeating, then commits it once', async () => {
    let calls = 0;
    const heartbeat = jest.fn(async () => {});
    const { loop, consumers, events } = setUp({
      process: async (b) => {
        if (++calls <= 2) throw new DependencyError('postgres', 'connection refused');
        return { records: b.messages.length, produced: 0, dlq: 0, dropped: 0, isolated: 0 };
      },
    });
    await loop.start();
    await consumers[0]!.deliver(msgs(0, 3), { heartbeat });
    expect(calls).toBe(3);
    expect(consumers[0]!.commits).toEqual(['ut.in.v1/0@3']);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);
    expect(heartbeat).toHaveBeenCalled();
  });

  it('heartbeats while a chunk is in process, also when the processor itself does not', async () => {
    // A slow write (a niced surge sink waiting for a core, a lock) must not cost the membership.
    let beats = 0;
    let beatsWhileProcessing = -1;
    const { loop, consumers } = setUp({
      heartbeatEveryMs: 5,
      process: async (b) => {
        await new Promise((r) => setTimeout(r, 80));
        beatsWhileProcessing = beats;
        return { records: b.messages.length, produced: 0, dlq: 0, dropped: 0, isolated: 0 };
      },
    });
    await loop.start();
    await consumers[0]!.deliver(msgs(0, 3), { heartbeat: async () => void beats++ });
    expect(beatsWhileProcessing).toBeGreaterThanOrEqual(3);
    // and no more once the chunk is done: the client's fetch loop heartbeats between batches
    const after = beats;
    await new Promise((r) => setTimeout(r, 40));
    expect(beats).toBe(after);
    await loop.stop();
  });

  it('stops beating for a chunk in process longer than heartbeatForMs (a hung call gives its partitions up)', async () => {
    const beatsAt: number[] = [];
    let startedAt = 0;
    const { loop, consumers } = setUp({
      heartbeatEveryMs: 5,
      heartbeatForMs: 60,
      process: async (b) => {
        startedAt = Date.now();
        await new Promise((r) => setTimeout(r, 300));
        return { records: b.messages.length, produced: 0, dlq: 0, dropped: 0, isolated: 0 };
      },
    });
    await loop.start();
    await consumers[0]!.deliver(msgs(0, 3), { heartbeat: async () => void beatsAt.push(Date.now()) });
    const since = beatsAt.map((t) => t - startedAt);
    expect(since.filter((t) => t < 60).length).toBeGreaterThanOrEqual(1);
    // none from the timer from 60 ms on (the loop's own beat after the chunk comes at 300 ms or later)
    expect(since.filter((t) => t >= 60 && t < 295)).toEqual([]);
    await loop.stop();
  });

  it('reports unhealthy while one batch has been retried longer than the configured time', async () => {
    let t = 0;
    const health = createHealth({ unhealthyAfterMs: 60_000, now: () => t });
    const reports: (string | undefined)[] = [];
    let calls = 0;
    const { loop, consumers } = setUp({
      health,
      sleep: async (ms) => {
        t += Math.max(ms, 20_000);
        reports.push(health.report().reason);
      },
      process: async (b) => {
        if (++calls <= 4) throw new DependencyError('postgres', 'connection refused');
        return { records: b.messages.length, produced: 0, dlq: 0, dropped: 0, isolated: 0 };
      },
    });
    await loop.start();
    consumers[0]!.join();
    await consumers[0]!.deliver(msgs(0, 1));
    expect(reports[0]).toBeUndefined();
    expect(reports[reports.length - 1]).toMatch(
      /^retrying one batch for \d+ s: postgres: connection refused/,
    );
    expect(health.report().ok).toBe(true); // the batch went through
  });

  it('gives a retried chunk up, uncommitted, once the partition is no longer this member’s', async () => {
    let stale = false;
    const { loop, consumers } = setUp({
      process: async () => {
        stale = true; // a rebalance began while the dependency was down
        throw new DependencyError('redis', 'unreachable');
      },
    });
    await loop.start();
    await consumers[0]!.deliver(msgs(0, 3), { isStale: () => stale });
    expect(consumers[0]!.commits).toEqual([]);
  });

  it('leaves a chunk uncommitted and unresolved when the group refuses the commit', async () => {
    const { loop, consumers, events } = setUp();
    await loop.start();
    consumers[0]!.port.commit = async () => Promise.reject(new Error('REBALANCE_IN_PROGRESS'));
    await consumers[0]!.deliver(msgs(0, 3));
    expect(consumers[0]!.resolved).toEqual([]);
    expect(events.map((e) => e.type)).toContain('commit-refused');
  });

  it('replaces a consumer that crashed for good, and gives up after too many crashes', async () => {
    const { loop, consumers, onFatal, health } = setUp({ maxCrashes: 3 });
    await loop.start();
    consumers[0]!.join();
    consumers[0]!.crash(new Error('not retriable'));
    expect(health.report().ok).toBe(false);
    await flush();
    await flush();
    expect(consumers).toHaveLength(2);
    expect(consumers[0]!.port.disconnect).toHaveBeenCalled();
    consumers[1]!.crash(new Error('again'));
    await flush();
    await flush();
    consumers[2]!.crash(new Error('and again'));
    await flush();
    await flush();
    expect(consumers).toHaveLength(3);
    expect(onFatal).toHaveBeenCalled();
    expect(health.report().ok).toBe(false);
  });

  it('lets the client restart itself after a retriable crash, and reports a restart loop', async () => {
    const { loop, consumers, health } = setUp();
    await loop.start();
    for (let i = 0; i < 3; i++) {
      consumers[0]!.join();
      consumers[0]!.crash(new Error('KafkaJSNumberOfRetriesExceeded'), true);
    }
    consumers[0]!.join();
    await flush();
    expect(consumers).toHaveLength(1);
    expect(health.report().reason).toMatch(/^restart loop/);
  });

  describe('after stop()', () => {
    it('refuses the client’s own restart and never starts a new consumer', async () => {
      const { loop, consumers, restartAsked } = setUp();
      await loop.start();
      expect(restartAsked[0]!()).toBe(true);
      await loop.stop();
      expect(consumers[0]!.port.disconnect).toHaveBeenCalledTimes(1);
      expect(restartAsked[0]!()).toBe(false);
      consumers[0]!.crash(new Error('crash after stop'));
      await flush();
      await flush();
      expect(consumers).toHaveLength(1);
    });

    it('disconnects a consumer that reconnects or rejoins (a restart scheduled before the stop)', async () => {
      const { loop, consumers, health } = setUp();
      await loop.start();
      await loop.stop();
      consumers[0]!.reconnect();
      consumers[0]!.join();
      expect(consumers[0]!.port.disconnect).toHaveBeenCalledTimes(3);
      expect(health.report()).toMatchObject({ ok: false, reason: 'stopping' });
    });

    it('stops retrying a chunk and leaves it uncommitted', async () => {
      let stopLoop: () => Promise<void> = async () => {};
      const { loop, consumers } = setUp({
        process: async () => {
          void stopLoop();
          throw new DependencyError('postgres', 'down');
        },
      });
      stopLoop = loop.stop;
      await loop.start();
      await consumers[0]!.deliver(msgs(0, 2));
      expect(consumers[0]!.commits).toEqual([]);
    });

    it('does not start when stopped while connecting', async () => {
      const { loop, consumers } = setUp();
      const stopping = loop.stop();
      await loop.start();
      await stopping;
      expect(consumers).toHaveLength(0);
    });
  });
});
