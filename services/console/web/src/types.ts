/**
 * The shapes the console's API sends: declared once in libs/console/wire.ts, which the server builds
 * them with; imported here type-only (nothing of it reaches the bundle).
 */
export type {
  CaseDetail,
  CaseStep,
  CaseSummary,
  DeviceAlert,
  DeviceHealth,
  DeviceSignals,
  DlqCount,
  Frame,
  HistoryEntry,
  LandedEvent,
  PipelineStats as Stats,
  Recall,
  RecallSummary,
  RiskIndicator,
  Sample,
  Session,
} from '../../../../libs/console/wire';
