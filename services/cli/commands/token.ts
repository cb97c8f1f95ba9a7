/** `unitrail token create|list|revoke`: the bearer tokens of the HTTP APIs (libs/tokens). */
import type { Command } from '../command';
import { optString, say, withPool } from '../command';
import { UnitrailError, UsageError } from '../../../libs/errors';
import { createToken, listTokens, revokeToken, roles } from '../../../libs/tokens';

const tokenCreate: Command = {
  name: 'token create',
  summary: 'Create an API bearer token and print it (once: only its SHA-256 is stored)',
  usage: `--name NAME --role ${roles.join('|')}`,
  options: { name: { type: 'string' }, role: { type: 'string' } },
  async run(input) {
    const name = optString(input, 'name');
    const role = optString(input, 'role');
    if (!name || !role)
      throw new UsageError(`usage: unitrail token create --name NAME --role ${roles.join('|')}`);
    const created = await withPool((pool) => createToken(pool, { name, role }));
    console.log(created.token);
    say(`token '${created.name}' (${created.role}) created; keep it now, it cannot be shown again`);
    return 0;
  },
};

const tokenList: Command = {
  name: 'token list',
  summary: 'List API tokens: name, role, created, revoked (never the tokens themselves)',
  usage: '[--json]',
  options: { json: { type: 'boolean' } },
  async run(input) {
    const tokens = await withPool(listTokens);
    if (input.values.json === true) {
      for (const t of tokens) console.log(JSON.stringify(t));
      return 0;
    }
    const width = Math.max(4, ...tokens.map((t) => t.name.length));
    console.log(`${'name'.padEnd(width)}  ${'role'.padEnd(18)}  ${'created'.padEnd(24)}  revoked`);
    for (const t of tokens) {
      console.log(
        `${t.name.padEnd(width)}  ${t.role.padEnd(18)}  ${t.createdAt.toISOString().padEnd(24)}  ${t.revokedAt?.toISOString() ?? '-'}`,
      );
    }
    return 0;
  },
};

const tokenRevoke: Command = {
  name: 'token revoke',
  summary: 'Revoke the live API token of that name (requests with it get 401 at once)',
  usage: 'NAME',
  positionals: [1, 1],
  async run(input) {
    const name = input.positionals[0]!;
    if (!(await withPool((pool) => revokeToken(pool, name)))) {
      throw new UnitrailError(
        'TOKEN_UNKNOWN',
        `no live token named '${name}' ('unitrail token list' shows them)`,
      );
    }
    console.log(`revoked ${name}`);
    return 0;
  },
};

export const tokenCommands: Command[] = [tokenCreate, tokenList, tokenRevoke];
