/**
 * The words of a floor signal (avro/signal.avsc): a code verification by a line vision system or
 * scanner, an exception an operator reports. MES and WMS records carry them; floor.ts turns them
 * into FloorSignals, and the cases and device-health stages read those.
 */
export type PrintGrade = 'A' | 'B' | 'C' | 'D' | 'F';

export interface CodeVerification {
  code: string;
  result: 'READ' | 'NO_READ';
  grade: PrintGrade | null;
  standard: string | null;
}

export type ExceptionKind =
  'DAMAGED_LABEL' | 'MISSING_SKU' | 'MISLABELED_PALLET' | 'QUARANTINE_BREACH' | 'DEVICE_FAULT' | 'OTHER';

export interface ExceptionReport {
  kind: ExceptionKind;
  subjectType: 'UNIT' | 'CASE' | 'PALLET';
  subject: string;
  text: string;
  operatorId: string;
}

/** avro/signal.avsc */
export interface FloorSignal {
  signalId: string;
  kind: 'VERIFICATION' | 'EXCEPTION_REPORT';
  sourceSystem: 'MES' | 'WMS';
  sourceEventId: string;
  deviceId: string;
  siteGln: string;
  lineId: string | null;
  operatorId: string | null;
  eventTime: number;
  receivedAt: number;
  gtin: string | null;
  /** The code's canonical GS1 Digital Link (what the journey store indexes), when it parses. */
  subject: string | null;
  verification: CodeVerification | null;
  exception: ExceptionReport | null;
  sourceRef: string;
}
