/**
 * Nothing lost, nothing counted twice, under failure: stages SIGKILLed at the worst moments
 * (fault injection) and at random ones, and Redis stopped for 30 s in the middle of a run.
 * The check is always by event id: PostgreSQL holds exactly the unique valid events.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { config, Stages, waitFor } from './helpers';
import { disturbedRuns, sleep } from './outage';
import { stageNames } from '../services/stages';
import { topics } from '../libs/topics';

jest.setTimeout(600_000);

const runs = disturbedRuns();
const { kafka } = runs;

/** Produces, runs `disturb` while the pipeline works, then checks the exact outcome (test/outage.ts). */
const runDisturbed = (
  events: number,
  redisUrl: string,
  stages: Stages,
  disturb: (progress: () => Promise<number>) => Promise<void>,
) => runs.run('resilience', { events, redisUrl, stages, disturb });

async function uniqueEnd(): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topics.unique.name)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('crash safety', () => {
  it('survives SIGKILL after the seen-set was written and before offsets were committed', async () => {
    // The deduplicator dies right after claiming its 2nd batch; the sink right after writing its 3rd.
    const stages = new Stages();
    stages.start('validator', 'enricher', 'router', 'journey-sink-surge', 'dlq-sink');
    const faulty = new Stages({ UNITRAIL_FAULT: 'deduplicator:after-prepare:2', BATCH_SIZE: '100' });
    const faultySink = new Stages({ UNITRAIL_FAULT: 'journey-sink:after-produce:3', BATCH_SIZE: '100' });
    faulty.start('deduplicator');
    faultySink.start('journey-sink');
    // Each is restarted, without the fault, as soon as it has died.
    const restartWhenDead = (s: Stages, name: string) =>
      new Promise<string | null>((res) =>
        s.children.get(name)!.once('exit', (_code, signal) => {
          s.children.delete(name);
          stages.start(name);
          res(signal);
        }),
      );
    const dedupDied = restartWhenDead(faulty, 'deduplicator');
    const sinkDied = restartWhenDead(faultySink, 'journey-sink');
    await runDisturbed(3000, config.redisUrl, stages, async () => {
      expect(await dedupDied).toBe('SIGKILL');
      expect(await sinkDied).toBe('SIGKILL');
    });
  });

  it('ends exact when every stage is SIGKILLed twice at random moments and restarted', async () => {
    const stages = new Stages({ BATCH_SIZE: '200' });
    stages.start(...stageNames);
    // RESILIENCE_EVENTS=100000 runs the full-size check (the suite's default keeps CI short).
    await runDisturbed(
      Number(process.env.RESILIENCE_EVENTS ?? 5000),
      config.redisUrl,
      stages,
      async (progress) => {
        const victims = ['validator', 'deduplicator', 'enricher', 'router', 'journey-sink', 'dlq-sink'];
        for (let round = 0; round < 2; round++) {
          for (const v of victims) {
            await sleep(200 + Math.floor(Math.random() * 800));
            await stages.signal(v, 'SIGKILL');
            stages.start(v);
          }
          if (round === 0)
            await waitFor('some progress', async () => (await progress()) > 0.2, { timeoutMs: 120_000 });
        }
      },
    );
  });
});

describe('Redis outage', () => {
  let redisProc: ChildProcess | undefined;
  let dir: string;
  let port: number;

  const freePort = () =>
    new Promise<number>((res) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => res(p));
      });
    });
  const startRedis = async () => {
    redisProc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''],
      { stdio: 'ignore' },
    );
    await waitFor('redis to answer', async () => {
      const c = new Redis(port, '127.0.0.1', {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      c.on('error', () => {});
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        c.disconnect();
      }
    });
  };
  const stopRedis = async () => {
    const p = redisProc!;
    const exited = new Promise((res) => p.once('exit', res));
    p.kill('SIGTERM'); // a clean shutdown writes the append-only file, as a restarted server would find it
    await exited;
  };

  beforeAll(async () => {
    expect(spawnSync('redis-server', ['--version']).status).toBe(0);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unitrail-redis-'));
    port = await freePort();
    await startRedis();
  });
  afterAll(async () => {
    if (redisProc && redisProc.exitCode === null) await stopRedis();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('changes nothing in the result when Redis is stopped for 30 s in the middle of a run', async () => {
    const redisUrl = `redis://127.0.0.1:${port}/0`;
    const stages = new Stages({ REDIS_URL: redisUrl, BATCH_SIZE: '200' });
    stages.start(...stageNames);
    await runDisturbed(6000, redisUrl, stages, async (progress) => {
      await waitFor('the run to be under way', async () => (await progress()) > 0.1, { timeoutMs: 120_000 });
      await stopRedis();
      // While Redis is down nothing may pass the deduplicator unchecked: once the batch in flight
      // when it stopped is through, ut.events.unique.v1 must not grow at all.
      await sleep(5_000);
      const held = await uniqueEnd();
      await sleep(25_000);
      expect(await uniqueEnd()).toBe(held);
      await startRedis();
    });
  });
});
