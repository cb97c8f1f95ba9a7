/**
 * One entry of a case's history as the API sends it, importing nothing: the console's page reads
 * this type too (libs/console/wire.ts). Hashing and storing entries: history.ts.
 */
export interface HistoryEntry {
  caseId: string;
  seq: number;
  /** ISO time. */
  at: string;
  actor: string;
  role: string | null;
  action: string;
  step: string | null;
  detail: Record<string, unknown>;
}
