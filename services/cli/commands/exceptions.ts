/** `unitrail exceptions list|show|open|step|evidence|close|verify`: exception cases (docs/exceptions.md). */
import type { Command, CommandInput } from '../command';
import { optList, optNumber, optString, printAs, readInput, required } from '../command';
import { loadConfig } from '../../../libs/config';
import { cliActor } from '../../../libs/audit';
import {
  attachPhoto,
  caseKinds,
  closeCase,
  containWith,
  formatCase,
  formatCaseList,
  formatPhoto,
  formatStep,
  formatVerify,
  listCases,
  openManualCase,
  recordStep,
  showCase,
  verifyCases,
  withCaseDeps,
  type Actor,
  type CaseDeps,
} from '../../../libs/cases';

// Whoever runs the CLI has the database's credentials: they act as admin, named by their login.
const who = (): Actor => ({ actor: cliActor(), role: 'admin' });
const withDeps = <T>(fn: (deps: CaseDeps) => Promise<T>) => withCaseDeps(loadConfig(), fn);
const uppercase = (input: CommandInput, name: string) => optString(input, name)?.toUpperCase();

const list: Command = {
  name: 'exceptions list',
  summary: 'Exception cases, newest first',
  usage: '[--status open|resolved|closed] [--kind KIND] [--limit N] [--json]',
  async run(input) {
    const filter = {
      status: optString(input, 'status'),
      kind: uppercase(input, 'kind'),
      limit: optNumber(input, 'limit', 50, { min: 1 }),
    };
    const rows = await withDeps((d) => listCases(d.pool, filter));
    printAs(input, { cases: rows }, () => formatCaseList(rows));
    return 0;
  },
};

const show: Command = {
  name: 'exceptions show',
  summary: 'One case: its playbook steps, evidence, containment (arrived / not yet) and history',
  usage: 'CASE [--json]',
  async run(input) {
    const view = await withDeps((d) => showCase(d.pool, input.positionals[0]!));
    printAs(input, view, () => formatCase(view));
    return 0;
  },
};

const open: Command = {
  name: 'exceptions open',
  summary: 'Open a case by hand',
  usage: '--kind KIND --title TEXT [--subject ID] [--units ID,ID] [--site GLN] [--device D]',
  async run(input) {
    const kind = required(input, 'kind', ` (${caseKinds.join(', ')})`).toUpperCase();
    const manual = {
      kind,
      title: optString(input, 'title') ?? '',
      subject: optString(input, 'subject'),
      units: input.values.units === undefined ? undefined : optList(input, 'units'),
      site: optString(input, 'site'),
      deviceId: optString(input, 'device'),
    };
    const r = await withDeps((d) => openManualCase(d.pool, manual, who()));
    console.log(`opened ${r.caseId}`);
    return 0;
  },
};

const evidence: Command = {
  name: 'exceptions evidence',
  summary: 'Attach a photo (JPEG or PNG, checked by content) to a case; prints its SHA-256',
  usage: 'CASE FILE',
  async run({ positionals: [caseId, file] }) {
    const photo = await withDeps((d) => attachPhoto(d.pool, caseId!, readInput(file!), who()));
    console.log(formatPhoto(photo));
    return 0;
  },
};

const step: Command = {
  name: 'exceptions step',
  summary:
    "Record a playbook step with its evidence (a photo's SHA-256 or file, a re-scanned code, a value); a containment step reroutes the goods",
  usage: 'CASE STEP [--photo SHA256|FILE] [--code CODE] [--value V] [--note N] [--to GLN]',
  async run(input) {
    const [caseId, stepId] = input.positionals as [string, string];
    const [code, value, note, to] = ['code', 'value', 'note', 'to'].map((f) => optString(input, f));
    const entry = await withDeps(async (d) => {
      let photo = optString(input, 'photo');
      // A file is uploaded first, then named by its hash.
      if (photo && !/^[0-9a-f]{64}$/i.test(photo))
        photo = (await attachPhoto(d.pool, caseId, readInput(photo), who())).sha256;
      const contain = containWith(d, { to, requestedBy: cliActor() });
      return recordStep(d.pool, caseId, stepId, who(), { photo, code, value, note, to }, contain);
    });
    console.log(formatStep(entry));
    return 0;
  },
};

const close: Command = {
  name: 'exceptions close',
  summary: 'Close a case (refused while a required playbook step is missing)',
  usage: 'CASE [--note N]',
  async run(input) {
    const caseId = input.positionals[0]!;
    await withDeps((d) => closeCase(d.pool, caseId, who(), optString(input, 'note')));
    console.log(`${caseId}: closed`);
    return 0;
  },
};

const verify: Command = {
  name: 'exceptions verify',
  summary:
    "Check every case's hash-chained history (or one case's) and the chain over all cases; names the first bad entry",
  usage: '[CASE]',
  async run(input) {
    const r = await withDeps((d) => verifyCases(d.pool, input.positionals[0]));
    console.log(formatVerify(r));
    return r.ok ? 0 : 1;
  },
};

export const exceptionsCommands: Command[] = [list, show, open, evidence, step, close, verify];
