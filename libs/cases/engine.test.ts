import { checkStep, closeRefusal } from './engine';
import type { HistoryEntry } from './history';
import { playbooks } from './playbook';

const damaged = playbooks().get('DAMAGED_LABEL')!;
const quality = { actor: 'amy', role: 'quality' as const };
const entry = (action: string, step: string | null, detail: Record<string, unknown> = {}): HistoryEntry => ({
  caseId: 'C-1',
  seq: 1,
  at: '2026-01-01T00:00:00.000Z',
  actor: 'amy',
  role: 'quality',
  action,
  step,
  detail,
});
const sha = 'ab'.repeat(32);

describe('checkStep', () => {
  it('records photo, re-scan and value evidence', () => {
    const history = [entry('evidence', null, { sha256: sha })];
    expect(checkStep(damaged, 'photo_label', quality, { photo: sha }, history).evidence).toEqual({
      kind: 'photo',
      sha256: sha,
      note: null,
    });
    expect(
      checkStep(damaged, 'rescan', quality, { code: '(01)04012345100013(21)A1' }, []).evidence,
    ).toMatchObject({
      kind: 'rescan',
      uri: 'https://id.gs1.org/01/04012345100013/21/A1',
    });
    expect(checkStep(damaged, 'check_printer', quality, { value: 'grade C' }, []).evidence).toMatchObject({
      value: 'grade C',
    });
  });
  it('refuses with one line: unknown step, wrong role, missing or foreign evidence, automatic steps', () => {
    expect(() => checkStep(damaged, 'dance', quality, {}, [])).toThrow(
      "DAMAGED_LABEL cases have no step 'dance'; the playbook's steps are photo_label, contain, rescan, check_printer",
    );
    expect(() => checkStep(damaged, 'rescan', { actor: 'v', role: 'viewer' }, { code: 'x' }, [])).toThrow(
      "step 'rescan' may be performed by quality or admin; v has role viewer",
    );
    expect(() => checkStep(damaged, 'photo_label', quality, {}, [])).toThrow(
      "step 'photo_label' (Photograph the damaged label) needs photo evidence",
    );
    expect(() => checkStep(damaged, 'photo_label', quality, { photo: sha }, [])).toThrow(
      'is not attached to this case',
    );
    expect(() => checkStep(damaged, 'rescan', quality, { code: 'hello' }, [])).toThrow(
      'the re-scanned code hello is not a GS1 key',
    );
    expect(() => checkStep(damaged, 'check_printer', quality, { value: ' ' }, [])).toThrow('needs a value');
    const sku = playbooks().get('MISSING_SKU')!;
    expect(() => checkStep(sku, 'replay_passed', { actor: 'a', role: 'admin' }, {}, [])).toThrow(
      'recorded by the cases stage itself',
    );
  });
});

describe('closeRefusal', () => {
  it('names the first required step missing, ignores optional ones, then allows closing', () => {
    expect(closeRefusal('C-1', damaged, [])).toBe(
      "case C-1 cannot close: required step 'photo_label' (Photograph the damaged label) has no photo evidence yet",
    );
    const done = [entry('step', 'photo_label'), entry('step', 'contain')];
    expect(closeRefusal('C-1', damaged, done)).toBe(
      "case C-1 cannot close: required step 'rescan' (Relabel the unit and re-scan the new label (the code must read)) has no re-scan yet",
    );
    expect(closeRefusal('C-1', damaged, [...done, entry('step', 'rescan')])).toBeNull();
    expect(closeRefusal('C-1', damaged, [...done, entry('step', 'rescan'), entry('closed', null)])).toBe(
      'case C-1 is already closed',
    );
  });
});
