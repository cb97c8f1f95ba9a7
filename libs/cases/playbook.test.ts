import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { caseKinds, loadPlaybooks, parsePlaybook } from './playbook';

const good = `kind: OTHER
version: 2
title: Other
steps:
  - id: describe
    title: Describe it
    evidence: value
    roles: [quality, admin]
`;

describe('playbooks', () => {
  it('the repository has one valid playbook per kind, each with a required human step', () => {
    const all = loadPlaybooks();
    expect([...all.keys()].sort()).toEqual([...caseKinds].sort());
    for (const p of all.values()) expect(p.steps.some((s) => s.required && !s.automatic)).toBe(true);
    expect(all.get('DAMAGED_LABEL')!.steps.map((s) => s.evidence)).toEqual([
      'photo',
      'none',
      'rescan',
      'value',
    ]);
    expect(all.get('DAMAGED_LABEL')!.containment).toMatchObject({
      bizStep: 'holding',
      disposition: 'non_sellable_other',
    });
  });

  it('reads a good file with defaults', () => {
    const p = parsePlaybook(good, '/x/other.yaml');
    expect(p).toMatchObject({ kind: 'OTHER', version: 2, file: 'other.yaml', containment: null });
    expect(p.steps[0]).toEqual({
      id: 'describe',
      title: 'Describe it',
      evidence: 'value',
      roles: ['quality', 'admin'],
      required: true,
      action: null,
      automatic: false,
    });
  });

  it.each([
    [
      good.replace('evidence: value', 'evidence: selfie'),
      'x.yaml: steps[0].evidence: must be one of photo, rescan, value, none (got "selfie")',
    ],
    [good.replace('[quality, admin]', '[quality, janitor]'), 'x.yaml: steps[0].roles[1]: must be one of'],
    [good.replace('version: 2', 'version: two'), 'x.yaml: version: must be a whole number'],
    [good.replace('kind: OTHER', 'kind: LOST'), 'x.yaml: kind: must be one of'],
    [
      good + '  - id: describe\n    title: again\n    evidence: none\n    roles: [admin]\n',
      'x.yaml: steps[1].id: describe is used twice',
    ],
    [good.replace('    roles', '    colour: red\n    roles'), 'x.yaml: steps[0].colour: unknown field'],
    [good + '    action: containment\n', 'x.yaml: containment: a step has action containment'],
    [
      good +
        'containment:\n  location: "4012345000994"\n  bizStep: holding\n  disposition: non_sellable_other\n  reason: r\n',
      'x.yaml: containment.location: 4012345000994 must be a 13-digit GLN',
    ],
    [
      good +
        'containment:\n  location: "4012345000993"\n  bizStep: hiding\n  disposition: non_sellable_other\n  reason: r\n',
      'x.yaml: containment.bizStep: must be one of',
    ],
    ['kind: [', 'x.yaml: yaml:'],
  ])('names the file and the field of a mistake (%#)', (text, message) => {
    expect(() => parsePlaybook(text, 'dir/x.yaml')).toThrow(message);
  });

  it('refuses a folder with two playbooks for one kind, or a kind without one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'playbooks-'));
    fs.writeFileSync(path.join(dir, 'a.yaml'), good);
    fs.writeFileSync(path.join(dir, 'b.yaml'), good);
    expect(() => loadPlaybooks(dir)).toThrow('b.yaml: kind: OTHER already has a playbook in a.yaml');
    fs.rmSync(path.join(dir, 'b.yaml'));
    expect(() => loadPlaybooks(dir)).toThrow(/no playbook for kind DAMAGED_LABEL/);
  });
});
