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
export {
  runPipelineBench,
  type Deployment,
  type DeploymentResult,
  type PipelineBenchOptions,
  type PipelineBenchResult,
  type CpuParts,
} from './pipeline';
export { runSinkBench, sinkRows, type SinkBenchResult } from './sink';
export { benchEpcisQuery, type EpcisQueryBenchResult, type QueryTiming } from './epcis-query';
export { runConsoleBench, type ConsoleBenchResult } from './console';
export {
  benchQueries,
  measureQueries,
  benchStoreUrl,
  openBenchStore,
  withBenchStore,
  type QueryBenchResult,
} from './queries';
export {
  benchQueriesBeside,
  drainingThroughout,
  scheduling,
  type BesideProcess,
  type BesideResult,
} from './beside';
export {
  benchProduceEncoding,
  type ProduceEncodingCase,
  type ProduceEncodingResult,
} from './produce-encoding';
export { benchRecallReport, type RecallReportBenchResult } from './recall-report';
export { benchHash, sampleEvent, type BenchResult as HashBenchResult } from './hash';
export { benchHotPath, benchHotPathAsPipeline, type HotPathResult } from './hot-path';
export {
  benchPipelineOnStack,
  benchConsoleOnStack,
  pipelineDeployments,
  supervisedConsumers,
  type StartConsole,
} from './on-stack';
export { benchDevices, type DevicesBench } from './devices';
export { parseCpuProfile, summarizeCpuProfile, type ProfileSummary } from './cpu-profile';
export { benchInsights, judgeRun, type InsightsBench, type InsightsRun } from './insights';
export {
  benchSubscriptionsOnStack,
  locatedEventDocument,
  objectEventDocument,
  startWebhookReceiver,
  type SubscriptionsBenchResult,
  type WebhookDelivery,
} from './subscriptions';
