/** `unitrail capture FILE`: post an EPCIS document to the capture API and wait for its job. */
import type { Command } from '../command';
import { captureUrl, optSeconds, readInput, say, tokenOf } from '../command';
import { captureDocument } from '../../../libs/http';

const capture: Command = {
  name: 'capture',
  summary:
    'Post an EPCIS document (JSON-LD or XML) to the capture API, wait, print its job as JSON (exit 0: success)',
  usage: 'FILE [--url URL] [--token TOKEN] [--rollback] [--timeout SECONDS]',
  async run(input) {
    const outcome = await captureDocument({
      token: tokenOf(input, " ('unitrail token create --name N --role producer')"),
      base: captureUrl(input),
      timeoutMs: optSeconds(input, 'timeout', 120),
      body: readInput(input.positionals[0]!),
      rollback: input.values.rollback === true,
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
    const { events, published, rejected } = job.counts;
    console.log(JSON.stringify(job));
    say(
      `capture ${job.captureID}: ${job.status}, ${published}/${events} events published, ${rejected} rejected`,
    );
    return job.status === 'success' ? 0 : 1;
  },
};

export const captureCommands: Command[] = [capture];
