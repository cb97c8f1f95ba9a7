/**
 * Exception cases (docs/exceptions.md): incidents detected from the floor's signals, the DLQ,
 * alerts and the journey open a case once each; a versioned playbook per kind says which steps,
 * evidence and roles close it; containment reroutes the goods (EPCIS events + a WMS directive);
 * the history is append-only and hash-chained.
 */
export * from './playbook';
export * from './detect';
export * from './engine';
export * from './history';
export * from './images';
export * from './store';
export * from './containment';
export { openCaseDeps, withCaseDeps, type CaseDeps } from './deps';
export { formatCase, formatCaseList, formatPhoto, formatStep, formatVerify } from './format';
export { digestRecordsOf, MAX_DIGEST_CHARS, type JourneyDigest } from './digest';
export { applyBatch, palletContents, recentAggregations, STAGE_ACTOR } from './apply';
