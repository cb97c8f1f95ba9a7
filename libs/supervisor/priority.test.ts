/**
 * STAGE_NICE: a stage started by spawnStage runs at that niceness (a background one at least at
 * BACKGROUND_NICE), in a session of its own whose autogroup it lowered too; a bad value is refused
 * at start-up with one line and a non-zero exit. Real processes (`unitrail run STAGE`, compiled),
 * pointed at dependencies that are not there: the priority is taken before the first connection,
 * and the stage retries until stopped.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliEntry, spawnStage, stopStages } from './processes';

jest.setTimeout(60_000);

const nowhere = {
  KAFKA_BROKERS: '127.0.0.1:1',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1/apis/ccompat/v7',
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nowhere',
  REDIS_URL: 'redis://127.0.0.1:1/0',
  LOG_LEVEL: 'info',
};

const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'unitrail-nice-'));
const started: ChildProcess[] = [];
afterAll(() => stopStages(started, 5000));

/** "pid (comm) state ppid pgrp session ...": the session of a process. */
const sessionOf = (pid: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
};

/** Starts `stage`, waits until its log says it took its priority (or a while), and reads it back. */
async function startedAt(stage: string, env: Record<string, string>) {
  const child = spawnStage(stage, path.join(logDir, `${stage}-${started.length}`), { ...nowhere, ...env });
  started.push(child);
  const log = path.join(logDir, `${stage}-${started.length - 1}`, `${stage}.log`);
  for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    if (text.includes('lower CPU priority') || text.includes('metrics listening')) break;
  }
  const pid = child.pid!;
  const autogroup = fs.existsSync(`/proc/${pid}/autogroup`)
    ? fs.readFileSync(`/proc/${pid}/autogroup`, 'utf8').trim()
    : null;
  return { pid, nice: os.getPriority(pid), ownSession: sessionOf(pid) === pid, autogroup };
}

describe('STAGE_NICE', () => {
  it('runs a stage started with it at that niceness, in a session and autogroup of its own', async () => {
    const s = await startedAt('validator', { STAGE_NICE: '7' });
    expect(s.nice).toBe(7);
    expect(s.ownSession).toBe(true);
    if (s.autogroup !== null) expect(s.autogroup).toMatch(/ nice 7$/);
  });

  it('leaves a stage started without it as before: nice 0, in its starter’s session', async () => {
    const s = await startedAt('enricher', { STAGE_NICE: '0' });
    expect(s.nice).toBe(0);
    expect(s.ownSession).toBe(false);
  });

  it('runs the surge sink at the larger of STAGE_NICE and BACKGROUND_NICE', async () => {
    const [low, high] = [
      await startedAt('journey-sink-surge', { STAGE_NICE: '3', BACKGROUND_NICE: '10' }),
      await startedAt('journey-sink-surge', { STAGE_NICE: '12', BACKGROUND_NICE: '10' }),
    ];
    expect([low.nice, high.nice]).toEqual([10, 12]);
  });

  it.each(['20', '-1', 'abc', '2.5'])('refuses STAGE_NICE=%s with one line and a non-zero exit', (value) => {
    const r = spawnSync(process.execPath, [cliEntry(), 'run', 'validator'], {
      env: { ...process.env, ...nowhere, STAGE_NICE: value },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.status).not.toBeNull();
    expect(r.stderr).toBe(`unitrail run: STAGE_NICE=${value} is not a whole number from 0 to 19\n`);
  });
});
