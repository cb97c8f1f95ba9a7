/**
 * The recall record alone, importing nothing: the console's page reads its type too
 * (libs/console/wire.ts), and its compiler must not see the rest of the pipeline.
 */
/** Mirrors avro/recall.avsc. */
export interface Recall {
  recallId: string;
  status: 'active' | 'closed' | string;
  reason: string;
  gtin: string;
  lots: string[];
  serials: string[];
  fromTime: number | null;
  toTime: number | null;
  deviceId: string | null;
  declaredAt: number;
  closedAt: number | null;
  declaredBy: string | null;
  /** Cases, pallets and shipments holding units in scope when declared. */
  containers: string[];
  /** Units resolved when declared, for a device or time-window scope. */
  units: string[];
  /** When the units were quarantined; a later move of one of them is a breach. */
  quarantinedAt: number | null;
  /** GLNs the quarantine covers; empty: every site. */
  quarantineSites: string[];
}
