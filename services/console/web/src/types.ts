/** The shapes the console's API sends (libs/console is their source; kept small here for the page). */
export interface Stats {
  events: number;
  units: number;
  containers: number;
  dlq: number;
  duplicates: number;
  lag: Record<string, number>;
}
export interface Sample {
  t: number;
  rates: Record<string, number>;
  lag: Record<string, number>;
  landedPerSec: number;
  dlqPerSec: number;
  duplicatesPerSec: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}
export interface DlqCount {
  reason: string;
  source: string | null;
  n: number;
}
export interface LandedEvent {
  eventId: string;
  eventTime: string;
  eventType: string;
  bizStep: string | null;
  sourceSystem: string;
  machineId: string | null;
  recallId: string | null;
  epc: string | null;
  landedAt: string;
  latencyMs: number | null;
}
export interface Recall {
  recallId: string;
  status: string;
  reason: string;
  gtin: string;
  lots: string[];
  serials: string[];
  fromTime: number | null;
  toTime: number | null;
  deviceId: string | null;
  declaredAt: number;
  declaredBy: string | null;
  closedAt: number | null;
  containers: string[];
  quarantinedAt: number | null;
}
export interface RecallSummary {
  recall: Recall;
  units: number;
  located: number;
  byStatus: Record<string, number>;
  atPartners: number;
  atPartnersNotNotified: number;
  notices: { sent: number; failed: number; pending: number };
  surgeEvents: number;
  surge: { lag: number; position: number };
}
export interface RiskIndicator {
  level: 'critical' | 'warning' | 'info';
  view: string;
  text: string;
}
export interface DeviceAlert {
  alertId: string;
  device: string;
  site: string | null;
  kind: string;
  metric: string;
  value: number;
  baseline: number;
  since: string;
  clearedAt: string | null;
  ackedBy: string | null;
}
export interface DeviceHealth {
  device: string;
  site: string;
  health: string;
  lastSeen: string;
  noReadRate: { value: number | null; baseline: number | null };
  printGrade: { value: number | null; baseline: number | null };
  driftSecondsPerHour: number | null;
}
export interface CaseSummary {
  caseId: string;
  kind: string;
  status: 'open' | 'resolved' | 'closed';
  title: string;
  subject: string | null;
  device: string | null;
  site: string | null;
  occurredAt: string;
  openedAt: string;
  closedAt: string | null;
  entries: number;
}
export interface DeviceSignals {
  devices: DeviceHealth[];
  alerts: DeviceAlert[];
  cases: CaseSummary[];
  openByKind: Record<string, number>;
}
/** GET /api/cases/{id}: libs/cases showCase, each step with whether a person performs it. */
export interface HistoryEntry {
  caseId: string;
  seq: number;
  at: string;
  actor: string;
  role: string | null;
  action: string;
  step: string | null;
  detail: Record<string, unknown>;
}
export interface CaseStep {
  id: string;
  title: string;
  evidence: 'photo' | 'rescan' | 'value' | 'none';
  roles: string[];
  required: boolean;
  automatic: boolean;
  action: 'containment' | null;
  done: HistoryEntry | null;
}
export interface CaseDetail {
  case: {
    case_id: string;
    kind: string;
    status: 'open' | 'resolved' | 'closed';
    title: string;
    subject: string | null;
    units: string[];
    device_id: string | null;
    site: string | null;
    source: string;
    occurred_at: string;
    opened_at: string;
    opened_by: string;
    closed_at: string | null;
    closed_by: string | null;
  };
  playbook: { file: string; version: number; title: string };
  steps: CaseStep[];
  history: HistoryEntry[];
  directives: {
    directiveId: string;
    to: string;
    issuedAt: string;
    items: { id: string; arrived: boolean }[];
  }[];
  closeRefusal: string | null;
}
export interface Frame {
  at: number;
  stats: Stats;
  sample: Sample;
  dlqRecent: DlqCount[];
  recent: LandedEvent[];
  recalls: RecallSummary[];
  risks: RiskIndicator[];
  devices: DeviceSignals;
}
