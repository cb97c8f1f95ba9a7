/**
 * Playbooks: one versioned YAML file per case kind in playbooks/, listing the standardized
 * investigation steps, the evidence each needs, who may perform it, and the containment action.
 * Files are checked when they are loaded; a mistake names the file and the field.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../errors';
import { bizStepVocabulary, dispositionVocabulary } from '../epcis';
import { hasValidCheckDigit } from '../gs1';
import { roles, type Role } from '../tokens';

export const caseKinds = [
  'DAMAGED_LABEL',
  'MISSING_SKU',
  'MISLABELED_PALLET',
  'QUARANTINE_BREACH',
  'DEVICE_FAULT',
  'OTHER',
] as const;
export type CaseKind = (typeof caseKinds)[number];

/** photo: an uploaded JPEG/PNG; rescan: the code as read again; value: a corrected value; none: a confirmation. */
export const evidenceKinds = ['photo', 'rescan', 'value', 'none'] as const;
export type EvidenceKind = (typeof evidenceKinds)[number];

export interface PlaybookStep {
  id: string;
  title: string;
  evidence: EvidenceKind;
  roles: Role[];
  required: boolean;
  /** `containment`: performing the step reroutes the case's units (EPCIS events + a WMS directive). */
  action: 'containment' | null;
  /** Done by the cases stage itself (e.g. "the replayed event passed"), not by a person. */
  automatic: boolean;
}

export interface Containment {
  /** GLN of the containment zone (a quality hold area the WMS knows). */
  location: string;
  bizStep: string;
  disposition: string;
  reason: string;
}

export interface Playbook {
  kind: CaseKind;
  version: number;
  title: string;
  steps: PlaybookStep[];
  containment: Containment | null;
  file: string;
}

export const PLAYBOOK_DIR = path
  .join(__dirname, '../../playbooks')
  .replace(`${path.sep}dist${path.sep}`, path.sep);

const ID = /^[a-z][a-z0-9_]{0,39}$/;

function fail(file: string, field: string, message: string): never {
  throw new ConfigError(`${path.basename(file)}: ${field}: ${message}`);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function text(file: string, field: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') fail(file, field, 'must be a non-empty string');
  return v.trim();
}

function oneOf<T extends string>(file: string, field: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(file, field, `must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
  }
  return v as T;
}

function onlyKeys(file: string, where: string, o: Record<string, unknown>, keys: string[]): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) fail(file, `${where}${k}`, `unknown field (expected ${keys.join(', ')})`);
  }
}

/** Parses and checks one playbook's text; `file` names it in errors. */
export function parsePlaybook(source: string, file: string): Playbook {
  let doc: unknown;
  try {
    doc = parse(source);
  } catch (err) {
    fail(file, 'yaml', (err as Error).message.split('\n')[0]!);
  }
  if (!isObject(doc)) fail(file, '(top)', 'must be a mapping');
  onlyKeys(file, '', doc, ['kind', 'version', 'title', 'steps', 'containment']);
  const kind = oneOf(file, 'kind', doc.kind, caseKinds);
  if (!Number.isInteger(doc.version) || (doc.version as number) < 1) {
    fail(file, 'version', 'must be a whole number from 1 (raise it with every change)');
  }
  const title = text(file, 'title', doc.title);
  if (!Array.isArray(doc.steps) || doc.steps.length === 0) fail(file, 'steps', 'must be a non-empty list');
  const seen = new Set<string>();
  const steps = doc.steps.map((raw, i): PlaybookStep => {
    const at = `steps[${i}].`;
    if (!isObject(raw)) fail(file, `steps[${i}]`, 'must be a mapping');
    onlyKeys(file, at, raw, ['id', 'title', 'evidence', 'roles', 'required', 'action', 'automatic']);
    const id = text(file, `${at}id`, raw.id);
    if (!ID.test(id)) fail(file, `${at}id`, `${id} must be lower_snake_case (a-z, 0-9, _), at most 40`);
    if (seen.has(id)) fail(file, `${at}id`, `${id} is used twice`);
    seen.add(id);
    if (!Array.isArray(raw.roles) || raw.roles.length === 0) {
      fail(file, `${at}roles`, `must list who may perform it (${roles.join(', ')})`);
    }
    const stepRoles = raw.roles.map((r, j) => oneOf(file, `${at}roles[${j}]`, r, roles));
    if (raw.required !== undefined && typeof raw.required !== 'boolean')
      fail(file, `${at}required`, 'must be true or false');
    if (raw.automatic !== undefined && typeof raw.automatic !== 'boolean')
      fail(file, `${at}automatic`, 'must be true or false');
    const action = raw.action === undefined ? null : oneOf(file, `${at}action`, raw.action, ['containment']);
    return {
      id,
      title: text(file, `${at}title`, raw.title),
      evidence: oneOf(file, `${at}evidence`, raw.evidence, evidenceKinds),
      roles: stepRoles,
      required: raw.required !== false,
      action,
      automatic: raw.automatic === true,
    };
  });
  let containment: Containment | null = null;
  if (doc.containment !== undefined) {
    const c = doc.containment;
    if (!isObject(c)) fail(file, 'containment', 'must be a mapping');
    onlyKeys(file, 'containment.', c, ['location', 'bizStep', 'disposition', 'reason']);
    const location = text(file, 'containment.location', String(c.location ?? ''));
    if (!/^\d{13}$/.test(location) || !hasValidCheckDigit(location)) {
      fail(file, 'containment.location', `${location} must be a 13-digit GLN with a valid check digit`);
    }
    containment = {
      location,
      bizStep: oneOf(file, 'containment.bizStep', c.bizStep, [...bizStepVocabulary.words]),
      disposition: oneOf(file, 'containment.disposition', c.disposition, [...dispositionVocabulary.words]),
      reason: text(file, 'containment.reason', c.reason),
    };
  }
  if (steps.some((s) => s.action === 'containment') && !containment) {
    fail(file, 'containment', 'a step has action containment, so the playbook needs a containment section');
  }
  return { kind, version: doc.version as number, title, steps, containment, file: path.basename(file) };
}

/** Every playbook in a folder, by kind; each kind must have exactly one. */
export function loadPlaybooks(dir = PLAYBOOK_DIR): Map<CaseKind, Playbook> {
  if (!fs.existsSync(dir)) throw new ConfigError(`${dir}: no playbooks folder`);
  const out = new Map<CaseKind, Playbook>();
  for (const f of fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const file = path.join(dir, f);
    const p = parsePlaybook(fs.readFileSync(file, 'utf8'), file);
    const other = out.get(p.kind);
    if (other) fail(file, 'kind', `${p.kind} already has a playbook in ${other.file}`);
    out.set(p.kind, p);
  }
  for (const k of caseKinds) if (!out.has(k)) throw new ConfigError(`${dir}: no playbook for kind ${k}`);
  return out;
}

let cached: Map<CaseKind, Playbook> | undefined;
/** The repository's playbooks, loaded (and checked) once per process. */
export function playbooks(): Map<CaseKind, Playbook> {
  return (cached ??= loadPlaybooks());
}
