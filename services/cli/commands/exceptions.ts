/** `unitrail exceptions list|show|open|step|evidence|close|verify`: exception cases (docs/exceptions.md). */
import fs from 'node:fs';
import type { Command, CommandInput } from '../command';
import { optString } from '../command';
import { loadConfig } from '../../../libs/config';
import { UsageError } from '../../../libs/errors';
import { cliActor } from '../../../libs/recalls';
import type { Actor } from '../../../libs/cases';
import {
  attachPhoto,
  closeCase,
  containWith,
  formatCase,
  formatCaseList,
  listCases,
  openCaseDeps,
  openManualCase,
  recordStep,
  showCase,
  verifyCases,
  type CaseDeps,
} from '../../../libs/cases';

// Whoever runs the CLI has the database's credentials: they act as admin, named by their login.
const who = (): Actor => ({ actor: cliActor(), role: 'admin' });

async function withDeps<T>(fn: (deps: CaseDeps) => Promise<T>): Promise<T> {
  const deps = openCaseDeps(loadConfig());
  try {
    return await fn(deps);
  } finally {
    await deps.close();
  }
}

const print = (input: CommandInput, json: unknown, text: string) =>
  console.log(input.values.json === true ? JSON.stringify(json) : text);

function readFile(file: string): Buffer {
  if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
  return fs.readFileSync(file);
}

const list: Command = {
  name: 'exceptions list',
  summary: 'Exception cases, newest first',
  usage: '[--status open|resolved|closed] [--kind KIND] [--limit N] [--json]',
  options: {
    status: { type: 'string' },
    kind: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(input) {
    const limit = Number(optString(input, 'limit') ?? 50);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a whole number from 1');
    const rows = await withDeps((d) =>
      listCases(d.pool, {
        status: optString(input, 'status'),
        kind: optString(input, 'kind')?.toUpperCase(),
        limit,
      }),
    );
    print(input, { cases: rows }, formatCaseList(rows));
    return 0;
  },
};

const show: Command = {
  name: 'exceptions show',
  summary: 'One case: its playbook steps, evidence, containment (arrived / not yet) and history',
  usage: 'CASE [--json]',
  positionals: [1, 1],
  options: { json: { type: 'boolean' } },
  async run(input) {
    const view = await withDeps((d) => showCase(d.pool, input.positionals[0]!));
    print(input, view, formatCase(view));
    return 0;
  },
};

const open: Command = {
  name: 'exceptions open',
  summary: 'Open a case by hand',
  usage: '--kind KIND --title TEXT [--subject ID] [--units ID,ID] [--site GLN] [--device D]',
  options: {
    kind: { type: 'string' },
    title: { type: 'string' },
    subject: { type: 'string' },
    units: { type: 'string' },
    site: { type: 'string' },
    device: { type: 'string' },
  },
  async run(input) {
    const kind = optString(input, 'kind');
    if (!kind)
      throw new UsageError(
        '--kind is required (DAMAGED_LABEL, MISSING_SKU, MISLABELED_PALLET, QUARANTINE_BREACH, DEVICE_FAULT, OTHER)',
      );
    const units = optString(input, 'units')
      ?.split(',')
      .map((u) => u.trim())
      .filter(Boolean);
    const r = await withDeps((d) =>
      openManualCase(
        d.pool,
        {
          kind: kind.toUpperCase(),
          title: optString(input, 'title') ?? '',
          subject: optString(input, 'subject'),
          units,
          site: optString(input, 'site'),
          deviceId: optString(input, 'device'),
        },
        who(),
      ),
    );
    console.log(`opened ${r.caseId}`);
    return 0;
  },
};

const evidence: Command = {
  name: 'exceptions evidence',
  summary: 'Attach a photo (JPEG or PNG, checked by content) to a case; prints its SHA-256',
  usage: 'CASE FILE',
  positionals: [2, 2],
  async run(input) {
    const [caseId, file] = input.positionals as [string, string];
    const photo = await withDeps((d) => attachPhoto(d.pool, caseId, readFile(file), who()));
    console.log(
      `attached ${photo.sha256} (${photo.mediaType} ${photo.width}x${photo.height}, ${photo.size} bytes)`,
    );
    return 0;
  },
};

const step: Command = {
  name: 'exceptions step',
  summary:
    "Record a playbook step with its evidence (a photo's SHA-256 or file, a re-scanned code, a value); a containment step reroutes the goods",
  usage: 'CASE STEP [--photo SHA256|FILE] [--code CODE] [--value V] [--note N] [--to GLN]',
  positionals: [2, 2],
  options: {
    photo: { type: 'string' },
    code: { type: 'string' },
    value: { type: 'string' },
    note: { type: 'string' },
    to: { type: 'string' },
  },
  async run(input) {
    const [caseId, stepId] = input.positionals as [string, string];
    const entry = await withDeps(async (d) => {
      let photo = optString(input, 'photo');
      // A file is uploaded first, then named by its hash.
      if (photo && !/^[0-9a-f]{64}$/i.test(photo))
        photo = (await attachPhoto(d.pool, caseId, readFile(photo), who())).sha256;
      return recordStep(
        d.pool,
        caseId,
        stepId,
        who(),
        {
          photo,
          code: optString(input, 'code'),
          value: optString(input, 'value'),
          note: optString(input, 'note'),
          to: optString(input, 'to'),
        },
        containWith(d, { to: optString(input, 'to'), requestedBy: cliActor() }),
      );
    });
    const contained = entry.detail.containment as
      { directive?: { directiveId: string; to: string } } | undefined;
    console.log(
      `${caseId}: step ${stepId} recorded (#${entry.seq})${contained?.directive ? `; directive ${contained.directive.directiveId} sent: move to ${contained.directive.to}` : ''}`,
    );
    return 0;
  },
};

const close: Command = {
  name: 'exceptions close',
  summary: 'Close a case (refused while a required playbook step is missing)',
  usage: 'CASE [--note N]',
  positionals: [1, 1],
  options: { note: { type: 'string' } },
  async run(input) {
    const caseId = input.positionals[0]!;
    await withDeps((d) => closeCase(d.pool, caseId, who(), optString(input, 'note')));
    console.log(`${caseId}: closed`);
    return 0;
  },
};

const verify: Command = {
  name: 'exceptions verify',
  summary: "Check every case's hash-chained history (or one case's); names the first bad entry",
  usage: '[CASE]',
  positionals: [0, 1],
  async run(input) {
    const r = await withDeps((d) => verifyCases(d.pool, input.positionals[0]));
    if (r.ok) {
      console.log(`case history intact: ${r.entries} entries in ${r.cases} cases`);
      return 0;
    }
    console.log(`case history TAMPERED: case ${r.caseId} entry ${r.seq}: ${r.problem}`);
    return 1;
  },
};

export const exceptionsCommands: Command[] = [list, show, open, evidence, step, close, verify];
