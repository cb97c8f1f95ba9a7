/** Benchmarks that need the running stack; each is a `unitrail bench ...` command that prints numbers. */
export {
  runSurgeBench,
  surgeRecords,
  surgeRecall,
  quantile,
  summarize,
  type SurgeBenchOptions,
  type SurgeBenchResult,
  type DrainResult,
  type LatencySummary,
  type Running,
} from './surge';
export { runConsoleBench, type ConsoleBenchResult } from './console';
