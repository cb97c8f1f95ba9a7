/** DLQ records counted by reason and source, importing nothing: the console's page reads this type too (libs/console/wire.ts). */
export interface DlqCount {
  reason: string;
  source: string | null;
  n: number;
}
