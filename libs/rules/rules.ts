/**
 * Validation rules on the canonical event. Each rule has a stable reason code and a one-line human
 * reason. Rules are pure: "now" and the tolerances come in through the context.
 * Add a rule: one function in `rules` below, and a test in rules.test.ts.
 */
import type { Reason } from '../errors';
import type { SerializationEvent } from '../events';

export interface RuleContext {
  now: number;
  clockSkewMs: number;
  horizonMs: number;
  /** Sources the horizon applies to: a partner's EPCIS document may carry historic events. */
  ownSources: readonly string[];
}

type Rule = (e: SerializationEvent, ctx: RuleContext) => Reason | Reason[] | null;

const iso = (ms: number) => new Date(ms).toISOString();

export const rules: Record<string, Rule> = {
  eventTimeNotInFuture: (e, { now, clockSkewMs }) =>
    e.eventTime > now + clockSkewMs
      ? {
          code: 'TIME_IN_FUTURE',
          message: `eventTime ${iso(e.eventTime)} is ahead of now by more than ${clockSkewMs / 1000} s`,
        }
      : null,
  eventTimeWithinHorizon: (e, { now, horizonMs, ownSources }) =>
    ownSources.includes(String(e.sourceSystem).toUpperCase()) && e.eventTime < now - horizonMs
      ? {
          code: 'TIME_TOO_OLD',
          message: `eventTime ${iso(e.eventTime)} is older than the ${Math.round(horizonMs / 86400000)}-day horizon`,
        }
      : null,
  // EPCIS 2.0 §7.4: which fields each event type needs, and which actions it allows.
  typeAndAction: (e) => {
    const what = e.epcList.length + e.quantityList.filter((q) => q.role === 'epc').length;
    switch (e.eventType) {
      case 'ObjectEvent':
        if (!e.action)
          return {
            code: 'ACTION_REQUIRED',
            message: 'an ObjectEvent needs an action (ADD, OBSERVE or DELETE)',
          };
        return what === 0
          ? { code: 'WHAT_REQUIRED', message: 'an ObjectEvent needs at least one EPC or quantity' }
          : null;
      case 'AggregationEvent':
      case 'AssociationEvent':
        if (!e.action) return { code: 'ACTION_REQUIRED', message: `an ${e.eventType} needs an action` };
        if (!e.parentId && e.action !== 'OBSERVE') {
          return {
            code: 'PARENT_REQUIRED',
            message: `an ${e.eventType} with action ${e.action} needs a parentID`,
          };
        }
        if (
          e.action === 'ADD' &&
          e.childEpcs.length === 0 &&
          !e.quantityList.some((q) => q.role === 'child')
        ) {
          return { code: 'CHILDREN_REQUIRED', message: `an ${e.eventType} ADD needs at least one child` };
        }
        return null;
      case 'TransactionEvent':
        if (!e.action) return { code: 'ACTION_REQUIRED', message: 'a TransactionEvent needs an action' };
        return e.bizTransactionList.length === 0
          ? {
              code: 'BIZ_TRANSACTION_REQUIRED',
              message: 'a TransactionEvent needs at least one business transaction',
            }
          : null;
      case 'TransformationEvent':
        if (e.action) return { code: 'ACTION_NOT_ALLOWED', message: 'a TransformationEvent has no action' };
        return e.inputEpcList.length + e.outputEpcList.length + e.quantityList.length === 0
          ? { code: 'WHAT_REQUIRED', message: 'a TransformationEvent needs inputs or outputs' }
          : null;
    }
  },
  distinctChildren: (e) => {
    const seen = new Set<string>();
    for (const c of e.childEpcs) {
      if (seen.has(c.uri))
        return { code: 'CHILD_REPEATED', message: `child ${c.uri} is listed twice in one event` };
      seen.add(c.uri);
    }
    if (e.parentId && seen.has(e.parentId.uri)) {
      return { code: 'CHILD_IS_PARENT', message: `${e.parentId.uri} cannot contain itself` };
    }
    return null;
  },
};

export function validate(event: SerializationEvent, ctx: RuleContext): Reason[] {
  const out: Reason[] = [];
  for (const rule of Object.values(rules)) {
    const r = rule(event, ctx);
    if (r) out.push(...(Array.isArray(r) ? r : [r]));
  }
  return out;
}
