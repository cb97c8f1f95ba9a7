/**
 * The validator's rules, each with its reason code: the event rules (identifiers, times, vocabulary),
 * the master-data rules (our own GTINs, sites and devices) and the aggregation rules (containment).
 * The validator stage and the capture API both judge events with them. Add a rule in the file of
 * its kind, with a test beside it.
 */
export { rules, validate, type RuleContext } from './rules';
export { masterdataReasons } from './masterdata-rules';
export {
  aggregationReasons,
  childrenToLookUp,
  CURRENT_PARENTS_SQL,
  type Containment,
} from './aggregation-rules';
