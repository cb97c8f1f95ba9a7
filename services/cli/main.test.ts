import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { cliEntry } from '../../libs/supervisor';

/**
 * Runs the compiled CLI's `main` with these words in a fresh Node process and returns what it
 * printed and which of the command groups' files (dist/services/cli/commands/*.js) it loaded.
 */
function runMain(argv: string[]): { code: number; out: string; groups: string[] } {
  const entry = cliEntry();
  const commandsDir = path.join(path.dirname(entry), 'commands') + path.sep;
  const script = `
    require(${JSON.stringify(entry)}).main(${JSON.stringify(argv)}).then((code) => {
      const loaded = Object.keys(require.cache)
        .filter((f) => f.startsWith(${JSON.stringify(commandsDir)}))
        .map((f) => f.slice(${commandsDir.length}));
      console.log(JSON.stringify({ code, loaded }));
    });`;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  const lines = (child.stdout ?? '').trim().split('\n');
  const last = JSON.parse(lines.pop() ?? '{}') as { code: number; loaded: string[] };
  return { code: last.code, out: lines.join('\n'), groups: last.loaded.sort() };
}

describe('the CLI loads only the command group it runs', () => {
  it("loads one group's file for one of its commands, and finds the longest name in it", () => {
    const r = runMain(['epcis', 'hash', '--help']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/^usage: unitrail epcis hash /);
    expect(r.groups).toEqual(['epcis.js', 'index.js']);
  });

  it('loads no group for an unknown word and says so', () => {
    const r = runMain(['nosuch', 'thing']);
    expect(r.code).toBe(2);
    expect(r.groups).toEqual(['index.js']);
  });

  it('loads every group for --help, which lists every command', () => {
    const r = runMain(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}bench queries /m);
    expect(r.out).toMatch(/^ {2}run STAGE /m);
    expect(r.groups).toContain('bench.js');
    expect(r.groups).toContain('stack.js');
    expect(r.groups.length).toBeGreaterThan(20);
  });
});
