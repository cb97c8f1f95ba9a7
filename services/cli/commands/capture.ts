/**
 * `unitrail capture FILE`: post an EPCIS document to the capture API and wait for its job.
 */
import { readFileSync } from 'node:fs';
import type { Command } from '../command';
import { optString, say } from '../command';
import { loadConfig } from '../../../libs/config';
import { UsageError } from '../../../libs/errors';
import { captureDocument } from '../../../libs/http';

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
    const base = optString(input, 'url') ?? `http://127.0.0.1:${loadConfig().capturePort}`;
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
    const outcome = await captureDocument({
      base,
      token,
      body,
      rollback: input.values.rollback === true,
      timeoutMs,
      onJob: (job) =>
        say(
          `capture ${job.captureID}: ${job.counts.events} events, ${job.counts.rejected} rejected; publishing...`,
        ),
      onTimeout: (job) => console.log(JSON.stringify(job)),
    });
    if (outcome.refused) {
      // A refused document is the result too: print the problem, with its reasons, as the JSON line.
      console.log(JSON.stringify(outcome.problem));
      say(`unitrail capture: HTTP ${outcome.status}`);
      return 1;
    }
    const { job } = outcome;
    console.log(JSON.stringify(job));
    const { events, published, rejected } = job.counts;
    say(
      `capture ${job.captureID}: ${job.status}, ${published}/${events} events published, ${rejected} rejected`,
    );
    return job.status === 'success' ? 0 : 1;
  },
};

export const captureCommands: Command[] = [capture];
