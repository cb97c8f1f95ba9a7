/**
 * The playbook engine's rules, pure: who may perform a step, what evidence it needs, and whether a
 * case may close. The store (store.ts) applies them inside the transaction that appends history.
 */
import { UsageError } from '../errors';
import { toDigitalLink } from '../gs1';
import type { Role } from '../tokens';
import type { HistoryEntry } from './history';
import type { Playbook, PlaybookStep } from './playbook';

/** A role that may not do this (the ops API answers 403). */
export class RoleRefused extends UsageError {}
/** A case that may not close yet, or is closed (the ops API answers 409). */
export class StateRefused extends UsageError {}

/** What a person gives with a step. */
export interface StepInput {
  /** SHA-256 (hex) of a photo already attached to the case. */
  photo?: string;
  /** The code as re-scanned (element string, Digital Link or EPC URI). */
  code?: string;
  /** A corrected value (a GTIN, an SSCC, what was done). */
  value?: string;
  note?: string;
  /** Containment: another containment location (GLN) than the playbook's. */
  to?: string;
}

export interface Actor {
  actor: string;
  role: Role;
}

export function stepOf(playbook: Playbook, stepId: string): PlaybookStep {
  const step = playbook.steps.find((s) => s.id === stepId);
  if (!step)
    throw new UsageError(
      `${playbook.kind} cases have no step '${stepId}'; the playbook's steps are ${playbook.steps.map((s) => s.id).join(', ')}`,
    );
  return step;
}

/** Photos attached to the case (by 'evidence' entries), by SHA-256. */
export function attachedPhotos(history: readonly HistoryEntry[]): Set<string> {
  return new Set(
    history
      .filter((e) => e.action === 'evidence' && typeof e.detail.sha256 === 'string')
      .map((e) => e.detail.sha256 as string),
  );
}

/**
 * Checks a step a person performs and returns what the history records of it; refuses with one
 * line: an unknown step, a role the playbook does not allow, a step the stage performs itself,
 * missing or wrong evidence.
 */
export function checkStep(
  playbook: Playbook,
  stepId: string,
  who: Actor,
  input: StepInput,
  history: readonly HistoryEntry[],
): { step: PlaybookStep; evidence: Record<string, unknown> } {
  const step = stepOf(playbook, stepId);
  if (step.automatic)
    throw new UsageError(`step '${step.id}' is recorded by the cases stage itself, not by hand`);
  if (!step.roles.includes(who.role))
    throw new RoleRefused(
      `step '${step.id}' may be performed by ${step.roles.join(' or ')}; ${who.actor} has role ${who.role}`,
    );
  const note = input.note?.trim() || null;
  switch (step.evidence) {
    case 'photo': {
      const sha = input.photo?.toLowerCase();
      if (!sha)
        throw new UsageError(`step '${step.id}' (${step.title}) needs photo evidence: attach a JPEG or PNG`);
      if (!attachedPhotos(history).has(sha))
        throw new UsageError(
          `photo ${sha.slice(0, 12)}… is not attached to this case; upload it first (exceptions evidence)`,
        );
      return { step, evidence: { kind: 'photo', sha256: sha, note } };
    }
    case 'rescan': {
      const code = input.code?.trim();
      if (!code)
        throw new UsageError(
          `step '${step.id}' (${step.title}) needs a re-scan: give the code as read (--code)`,
        );
      let uri: string;
      try {
        uri = toDigitalLink(code);
      } catch (err) {
        throw new UsageError(`the re-scanned code ${code} is not a GS1 key: ${(err as Error).message}`);
      }
      return { step, evidence: { kind: 'rescan', code, uri, note } };
    }
    case 'value': {
      const value = input.value?.trim();
      if (!value) throw new UsageError(`step '${step.id}' (${step.title}) needs a value (--value)`);
      return { step, evidence: { kind: 'value', value, note } };
    }
    case 'none':
      return { step, evidence: { kind: 'none', note } };
  }
}

/** Steps and whether each has been recorded. */
export function stepProgress(
  playbook: Playbook,
  history: readonly HistoryEntry[],
): { step: PlaybookStep; done: HistoryEntry | null }[] {
  return playbook.steps.map((step) => ({
    step,
    done: history.find((e) => e.action === 'step' && e.step === step.id) ?? null,
  }));
}

const evidenceWords = {
  photo: 'has no photo evidence yet',
  rescan: 'has no re-scan yet',
  value: 'has no value yet',
  none: 'is not done yet',
} as const;

/** Why the case may not close (the first required step missing), or null. */
export function closeRefusal(
  caseId: string,
  playbook: Playbook,
  history: readonly HistoryEntry[],
): string | null {
  if (history.some((e) => e.action === 'closed')) return `case ${caseId} is already closed`;
  const missing = stepProgress(playbook, history).find((p) => p.step.required && !p.done);
  if (!missing) return null;
  return `case ${caseId} cannot close: required step '${missing.step.id}' (${missing.step.title}) ${evidenceWords[missing.step.evidence]}`;
}
