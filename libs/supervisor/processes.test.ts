/**
 * A started stage stops once the process that started it is gone (stopWithParent): a demo or a
 * bench ended by SIGKILL leaves no stage consuming as an orphan. Real processes: a parent that
 * starts a child the way spawnStage does (its pid in UNITRAIL_PARENT_PID), then is killed.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from '../stack';

jest.setTimeout(30_000);

const compiled = path.join(__dirname, '../../dist/libs/supervisor');

/** A child that calls stopWithParent and records the SIGTERM it then gets in `marker`. */
const childScript = (marker: string) => `
  require(${JSON.stringify(compiled)}).stopWithParent(100);
  process.on('SIGTERM', () => { require('fs').writeFileSync(${JSON.stringify(marker)}, 'stopped'); process.exit(0); });
  setInterval(() => {}, 1000);
`;

/** A parent that starts the child with its own pid in the environment, prints the child's pid, and waits. */
const parentScript = (marker: string) => `
  const { spawn } = require('child_process');
  const child = spawn(process.execPath, ['-e', ${JSON.stringify(childScript(marker))}], {
    stdio: 'ignore', env: { ...process.env, UNITRAIL_PARENT_PID: String(process.pid) },
  });
  console.log(child.pid);
  setInterval(() => {}, 1000);
`;

async function until(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
    if (check()) return true;
  return check();
}

describe('stopWithParent', () => {
  it('stops a started process cleanly once its parent is killed, and not before', async () => {
    const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'unitrail-parent-')), 'marker');
    const parent = spawn(process.execPath, ['-e', parentScript(marker)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const childPid = Number(
      await new Promise<string>((resolve) => parent.stdout!.once('data', (b: Buffer) => resolve(String(b)))),
    );
    expect(childPid).toBeGreaterThan(0);
    // While the parent lives, the child runs on (ten checks' worth).
    await new Promise((r) => setTimeout(r, 1000));
    expect(processAlive(childPid)).toBe(true);
    expect(fs.existsSync(marker)).toBe(false);

    parent.kill('SIGKILL');
    // Its clean stop ran (the SIGTERM handler wrote the marker), and it exited.
    expect(await until(() => fs.existsSync(marker) && !processAlive(childPid), 10_000)).toBe(true);
    expect(fs.readFileSync(marker, 'utf8')).toBe('stopped');
  });

  it('does nothing in a process nobody started (no parent pid given)', () => {
    const before = process.env.UNITRAIL_PARENT_PID;
    delete process.env.UNITRAIL_PARENT_PID;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { stopWithParent } = require('./processes') as typeof import('./processes');
      const spy = jest.spyOn(global, 'setInterval');
      stopWithParent(10);
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
    } finally {
      if (before !== undefined) process.env.UNITRAIL_PARENT_PID = before;
    }
  });
});
