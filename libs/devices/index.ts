/** Device health: detectors (./detect.ts), what they read (./observe.ts), their store (./store.ts). */
export * from './detect';
export { observationsOf, clockRecordsOf, gradeValue, messageId, MAX_CLOCK_SAMPLES } from './observe';
export type { DeviceClockSamples } from './observe';
export { loadFleet, saveFleet, listDevices, listAlerts, ackAlert, positionKey } from './store';
export type { Positions, AlertRow, DeviceRow } from './store';
export { addToHistory, bucketStart, HISTORY_BUCKET_MS } from './history';
export type { HistoryBucket } from './history';
export { detectorSettingsOf } from './settings';
export { formatDevices } from './format';
export { deviceAckers } from './access';
export { detectOnDemo, detectionFigures, figuresFromStore } from './simulate';
export type { DetectionFigures, RaisedAlert } from './simulate';
export { backfillHistory, historyCoverage, planBackfill, recountHistory, HISTORY_INPUTS } from './backfill';
export type { BackfillPlan, DeviceBackfill, DeviceCoverage, FamilyReport, AppliedCounts } from './backfill';
