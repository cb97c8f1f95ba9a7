/**
 * What the console's API and live feed send, declared once for both ends: libs/console builds
 * these, the page (services/console/web, its own tsconfig, DOM and no Node) imports them type-only.
 * So this file imports only files that import nothing themselves: the page's compiler sees no
 * more of the pipeline than these shapes.
 */
import type { HistoryEntry } from '../cases/types';
import type { DlqCount } from '../dlq/types';
import type { Recall } from '../recalls/types';
import type { PipelineStats } from '../stats/types';

export type { DlqCount, HistoryEntry, PipelineStats, Recall };

/** GET /api/session: who the token is and which actions the page offers. */
export interface Session {
  name: string;
  role: string;
  may: { recalls: boolean; replay: boolean; cases: boolean; ack: boolean };
}

/** One landed event, as the Now view's ticker shows it. */
export interface LandedEvent {
  eventId: string;
  eventTime: string;
  eventType: string;
  bizStep: string | null;
  sourceSystem: string;
  machineId: string | null;
  recallId: string | null;
  /** The first identifier the event names (Digital Link). */
  epc: string | null;
  landedAt: string;
  /** Landed minus the raw record's Kafka timestamp. */
  latencyMs: number | null;
}

/** A point of the small charts: rates per second and latency over the last tick. */
export interface Sample {
  t: number;
  /** Records per second consumed, by consumer group. */
  rates: Record<string, number>;
  lag: Record<string, number>;
  landedPerSec: number;
  dlqPerSec: number;
  duplicatesPerSec: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

export interface RiskIndicator {
  level: 'critical' | 'warning' | 'info';
  /** Which view explains it. */
  view: 'recalls' | 'quality' | 'now' | 'devices';
  text: string;
}

export interface RecallSummary {
  recall: Recall;
  units: number;
  /** Units whose whereabouts are known (any status but unknown). */
  located: number;
  byStatus: Record<string, number>;
  /** Units in a partner's custody, and those of them whose partner has no notice sent yet. */
  atPartners: number;
  atPartnersNotNotified: number;
  notices: { sent: number; failed: number; pending: number };
  /** Ledger events routed through the surge topic for this recall. */
  surgeEvents: number;
  surge: { lag: number; position: number };
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
  /** Entries in the case's history: the page reloads an open case when this grows. */
  entries: number;
}

export interface CaseQueue {
  /** Open and resolved cases (newest first), then the latest closed ones. */
  cases: CaseSummary[];
  /** Cases not closed yet, by kind (all of them, not only those listed). */
  openByKind: Record<string, number>;
}

/**
 * An alert episode as the page shows it: fields of libs/devices' stored row (AlertRow), grouped as
 * the Devices view reads them. libs/console/devices.ts copies them field by field from the row, so
 * the compiler keeps the two in step.
 */
export interface DeviceAlert {
  /** `device:<device>:<metric>:<since>` (docs/devices.md). */
  alertId: string;
  /** device_degrading, device_drifting, device_silent. */
  kind: string;
  device: string;
  site: string | null;
  /** ISO broker time the episode began. */
  since: string;
  /** no_read_rate, print_grade, clock_drift...: its value when the alarm fired, and the device's own baseline. */
  metric: string;
  value: number;
  baseline: number;
  clearedAt: string | null;
  /** Who acknowledged it, when and with which note (POST /api/devices/{id}/ack). */
  ackedBy: string | null;
  ackedAt: string | null;
  ackNote: string | null;
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

export interface DeviceSignals extends CaseQueue {
  devices: DeviceHealth[];
  /** Open episodes first, then the newest of the last day. */
  alerts: DeviceAlert[];
}

/** One feed frame (GET /api/feed, event `frame`; `hello` carries the newest and the history). */
export interface Frame {
  at: number;
  stats: PipelineStats;
  sample: Sample;
  /** DLQ records of the last ten minutes, by reason and source. */
  dlqRecent: DlqCount[];
  recent: LandedEvent[];
  recalls: RecallSummary[];
  risks: RiskIndicator[];
  devices: DeviceSignals;
}

/** A playbook step of GET /api/cases/{id}, with whether a person performs it. */
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

/** GET /api/cases/{id}: libs/cases showCase as JSON (times as ISO strings), its steps as above. */
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
