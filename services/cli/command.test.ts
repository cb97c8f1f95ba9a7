import { flagsOf, positionalsOf } from './command';
import { allCommands } from './commands';

describe('a command reads its flags and positionals from its usage line', () => {
  it('takes --name VALUE as a value, --name alone as a switch, the first mention deciding', () => {
    expect(
      flagsOf('ID [--gtin GTIN] [--from T --to T] [--json] [--no-notify]   (ID: a serial with --gtin, ...)'),
    ).toEqual({
      gtin: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      json: { type: 'boolean' },
      'no-notify': { type: 'boolean' },
    });
    expect(flagsOf('[--deployments split[,fused]] [--status open|closed]')).toEqual({
      deployments: { type: 'string' },
      status: { type: 'string' },
    });
  });

  it('counts the words before the first flag: ID one, [ID] optional, ID... one or more', () => {
    expect(positionalsOf('')).toEqual([0, 0]);
    expect(positionalsOf('CASE STEP [--photo SHA256|FILE]')).toEqual([2, 2]);
    expect(positionalsOf('[CASE]')).toEqual([0, 1]);
    expect(positionalsOf('KEY... [--gcp-length N]')).toEqual([1, 100]);
    expect(positionalsOf('--name NAME --role admin')).toEqual([0, 0]);
    expect(positionalsOf('ID [--json]   (ID: a serial)')).toEqual([1, 1]);
  });

  it('gives every command a usage line it can read, and each name once', async () => {
    const commands = await allCommands();
    const names = commands.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of commands) {
      // Every flag word in the usage line is parsed as a flag (nothing is lost to a typo like `-json`).
      const mentioned = new Set([...c.usage.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]));
      expect(Object.keys(flagsOf(c.usage)).sort()).toEqual([...mentioned].sort());
    }
  });
});
