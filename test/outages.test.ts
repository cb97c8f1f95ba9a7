/**
 * Outages of each dependency in the middle of a run (issue 13 §3): PostgreSQL cut mid-transaction,
 * the schema registry down at start and mid-run, the Kafka broker killed and restarted. Each ends
 * exact by event id. Outages are made by a TCP proxy in the test or by stopping this stack's own
 * broker; the machine's PostgreSQL and Redis are never stopped.
 * RESILIENCE_EVENTS=100000 runs each at the full size.
 */
import fs from 'node:fs';
import { config, Stages, waitFor } from './helpers';
import { allStages, disturbedRuns, outageEvents, sleep, tcpProxy, viaProxy, type TcpProxy } from './outage';
import { stageNames } from '../services/stages';
import { processAlive, stackFiles, stackUp, stateDir } from '../libs/stack';

jest.setTimeout(900_000);

const runs = disturbedRuns();

const alive = (stages: Stages) =>
  [...stages.children].filter(([, c]) => c.exitCode === null && c.signalCode === null).map(([n]) => n);

describe('PostgreSQL outage', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    const db = new URL(config.databaseUrl);
    proxy = await tcpProxy({ host: db.hostname, port: Number(db.port || 5432) });
  });
  afterAll(async () => proxy.close());

  it('pauses, retries and resumes exact when the connection is cut mid-transaction for 20 s', async () => {
    // Every stage reaches PostgreSQL through the proxy; the check reads it directly.
    const stages = allStages({ DATABASE_URL: viaProxy(config.databaseUrl, proxy) });
    await runs.run('outage postgres', {
      stages,
      events: outageEvents(2500),
      disturb: async (progress) => {
        await waitFor('the run to be under way', async () => (await progress()) > 0.1, {
          timeoutMs: 180_000,
        });
        // The line goes right after the sink sent its ledger COPY, inside the open transaction.
        await proxy.cutAfter('COPY ut.events (');
        const landedAtCut = await progress();
        await sleep(20_000);
        // Nothing crashed while PostgreSQL was unreachable, and nothing was taken for done.
        expect(alive(stages).sort()).toEqual([...stageNames].sort());
        expect(await progress()).toBeLessThan(1);
        expect(landedAtCut).toBeLessThan(1);
        proxy.restore();
      },
    });
  });
});

describe('schema registry outage', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    const registry = new URL(config.schemaRegistryUrl);
    proxy = await tcpProxy({ host: registry.hostname, port: Number(registry.port || 80) });
  });
  afterAll(async () => proxy.close());

  it('waits for a registry that is down at start, and rides out a second outage mid-run', async () => {
    proxy.cut(); // down before any stage starts
    // The test itself produces through the registry directly.
    const stages = allStages({ SCHEMA_REGISTRY_URL: viaProxy(config.schemaRegistryUrl, proxy) });
    await runs.run('outage registry', {
      stages,
      events: outageEvents(2500),
      disturb: async (progress) => {
        await sleep(20_000);
        // No record can be decoded without the registry: none may be dropped or sent to the DLQ.
        expect(await progress()).toBe(0);
        expect(alive(stages).sort()).toEqual([...stageNames].sort());
        proxy.restore();
        await waitFor('the run to be under way', async () => (await progress()) > 0.3, {
          timeoutMs: 180_000,
        });
        proxy.cut();
        // Schemas are cached once read, so restart a stage while the registry is away: it starts cold.
        await stages.signal('validator', 'SIGKILL');
        stages.start('validator');
        await sleep(20_000);
        expect(alive(stages).sort()).toEqual([...stageNames].sort());
        proxy.restore();
      },
    });
  });
});

describe('Kafka broker outage', () => {
  const files = stackFiles(stateDir());
  const brokerPid = () => Number(fs.readFileSync(files.pid('kafka'), 'utf8').trim());

  it('ends exact when the broker is SIGKILLed mid-run and restarted 15 s later', async () => {
    const stages = allStages();
    await runs.run('outage kafka', {
      stages,
      events: outageEvents(2500),
      disturb: async (progress) => {
        await waitFor('the run to be under way', async () => (await progress()) > 0.2, {
          timeoutMs: 180_000,
          everyMs: 100,
        });
        // The stages are frozen while the broker dies, so it dies mid-run however fast the run
        // goes (records a stage has already fetched may still land while the broker is away).
        stages.freeze(true);
        try {
          expect(await progress()).toBeLessThan(1);
          const pid = brokerPid();
          process.kill(pid, 'SIGKILL');
          await waitFor('the broker to be gone', async () => !processAlive(pid));
        } finally {
          stages.freeze(false);
        }
        try {
          await sleep(15_000);
        } finally {
          // Restarted whatever happened above: the suites after this one need the broker.
          const { parts } = await stackUp({ progress: () => {} });
          expect(parts.find((p) => p.name === 'kafka')?.how).toBe('started');
        }
      },
    });
  });
});
