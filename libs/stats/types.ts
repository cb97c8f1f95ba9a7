/** The pipeline's counts, importing nothing: the console's page reads this type too (libs/console/wire.ts). */
export interface PipelineStats {
  events: number;
  units: number;
  containers: number;
  dlq: number;
  duplicates: number;
  lag: Record<string, number>;
}
