/** The demo stream (stream.ts), its floor and faults (faults.ts), producing it (produce.ts), the `demo` run (run.ts). */
export * from './stream';
export { runDemo } from './run';
export { accountFor, produceRecords, rawEndOffsets, type Accounts, type OffsetRanges } from './produce';
export {
  demoStream,
  generateFloorDemo,
  parseFaults,
  messageIdOf,
  DEFAULT_FAULTS,
  type FaultReport,
  type FaultPlan,
  type DeviceFaultKind,
} from './faults';
