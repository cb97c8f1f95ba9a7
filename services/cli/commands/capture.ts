/**
 * `unitrail capture FILE`: post an EPCIS document to the capture API and wait for its job.
 * `unitrail token create|list|revoke`: the bearer tokens of the HTTP APIs.
 */
import { readFileSync } from 'node:fs';
import type { Command } from '../command';
import { optString } from '../command';
import { loadConfig } from '../../../libs/config';
import { DependencyError, UnitrailError, UsageError } from '../../../libs/errors';
import { poolFor } from '../../../libs/store';
import { createToken, listTokens, revokeToken, roles } from '../../../libs/tokens';
import { captureSettings } from '../../capture-api';

const say = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface JobView {
  captureID: string;
  status: string;
  running: boolean;
  counts: { events: number; accepted: number; rejected: number; published: number };
}

async function call(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    throw new DependencyError(
      'capture-api',
      `${new URL(url).origin} does not answer (is it running? 'unitrail run capture-api'; or pass --url)`,
      err,
    );
  }
}

const capture: Command = {
  name: 'capture',
  summary:
    'Post an EPCIS document (JSON-LD or XML) to the capture API, wait, print its job as JSON (exit 0: success)',
  usage: 'FILE [--url URL] [--token TOKEN] [--rollback] [--timeout SECONDS]',
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    rollback: { type: 'boolean' },
    timeout: { type: 'string' },
  },
  positionals: [1, 1],
  async run(input) {
    const file = input.positionals[0]!;
    const token = optString(input, 'token') ?? process.env.UNITRAIL_TOKEN;
    if (!token) {
      throw new UsageError(
        "no token: pass --token or set UNITRAIL_TOKEN ('unitrail token create --name N --role producer')",
      );
    }
    const base = (optString(input, 'url') ?? `http://127.0.0.1:${captureSettings().port}`).replace(
      /\/+$/,
      '',
    );
    const timeoutRaw = optString(input, 'timeout') ?? '120';
    const timeoutMs = Number(timeoutRaw) * 1000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
      throw new UsageError(`--timeout ${timeoutRaw} is not a positive number`);
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch (err) {
      throw new UsageError(
        `cannot read ${file}: ${(err as { code?: string }).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      );
    }
    const xml = /^[\s\ufeff]*</.test(body.subarray(0, 64).toString('utf8'));
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': xml ? 'application/xml' : 'application/ld+json',
      ...(input.values.rollback === true ? { 'gs1-capture-error-behaviour': 'rollback' } : {}),
    };
    const posted = await call(`${base}/capture`, { method: 'POST', headers, body });
    if (posted.status !== 202) {
      // A refused document is the result too: print the problem, with its reasons, as the JSON line.
      const text = await posted.text();
      console.log(
        text.trim().startsWith('{')
          ? JSON.stringify(JSON.parse(text))
          : JSON.stringify({ status: posted.status, title: text }),
      );
      say(`unitrail capture: HTTP ${posted.status}`);
      return 1;
    }
    let job = (await posted.json()) as JobView;
    const location = new URL(posted.headers.get('location') ?? `/capture/${job.captureID}`, base).toString();
    if (job.running) {
      say(
        `capture ${job.captureID}: ${job.counts.events} events, ${job.counts.rejected} rejected; publishing...`,
      );
    }
    const until = Date.now() + timeoutMs;
    for (let wait = 100; job.running; wait = Math.min(1000, wait * 2)) {
      if (Date.now() > until) {
        console.log(JSON.stringify(job));
        throw new UnitrailError(
          'CAPTURE_TIMEOUT',
          `job ${job.captureID} still running after ${timeoutRaw} s; see ${location}`,
        );
      }
      await sleep(wait);
      const res = await call(location, { headers: { authorization: `Bearer ${token}` } });
      if (!res.ok)
        throw new UnitrailError('CAPTURE_JOB', `GET ${location}: HTTP ${res.status} ${await res.text()}`);
      job = (await res.json()) as JobView;
    }
    console.log(JSON.stringify(job));
    const { events, published, rejected } = job.counts;
    say(
      `capture ${job.captureID}: ${job.status}, ${published}/${events} events published, ${rejected} rejected`,
    );
    return job.status === 'success' ? 0 : 1;
  },
};

async function withPool<T>(fn: (pool: ReturnType<typeof poolFor>) => Promise<T>): Promise<T> {
  const pool = poolFor(loadConfig(), { max: 1 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

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

export const captureCommands: Command[] = [capture, tokenCreate, tokenList, tokenRevoke];
