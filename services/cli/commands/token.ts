/** `unitrail token create|list|revoke`: the bearer tokens of the HTTP APIs (libs/tokens). */
import type { Command } from '../command';
import { required, say, withPool } from '../command';
import { UnitrailError } from '../../../libs/errors';
import { createToken, formatTokens, listTokens, revokeToken, roles } from '../../../libs/tokens';

const tokenCreate: Command = {
  name: 'token create',
  summary: 'Create an API bearer token and print it (once: only its SHA-256 is stored)',
  usage: `--name NAME --role ${roles.join('|')}`,
  async run(input) {
    const spec = { name: required(input, 'name'), role: required(input, 'role', ` (${roles.join('|')})`) };
    const created = await withPool((pool) => createToken(pool, spec));
    console.log(created.token);
    say(`token '${created.name}' (${created.role}) created; keep it now, it cannot be shown again`);
    return 0;
  },
};

const tokenList: Command = {
  name: 'token list',
  summary: 'List API tokens: name, role, created, revoked (never the tokens themselves)',
  usage: '[--json]',
  async run(input) {
    const tokens = await withPool(listTokens);
    // --json: one line a token, so a script can read them one by one.
    if (input.values.json === true) for (const t of tokens) console.log(JSON.stringify(t));
    else console.log(formatTokens(tokens));
    return 0;
  },
};

const tokenRevoke: Command = {
  name: 'token revoke',
  summary: 'Revoke the live API token of that name (requests with it get 401 at once)',
  usage: 'NAME',
  async run({ positionals: [name] }) {
    if (!(await withPool((pool) => revokeToken(pool, name!))))
      throw new UnitrailError(
        'TOKEN_UNKNOWN',
        `no live token named '${name}' ('unitrail token list' shows them)`,
      );
    console.log(`revoked ${name}`);
    return 0;
  },
};

export const tokenCommands: Command[] = [tokenCreate, tokenList, tokenRevoke];
