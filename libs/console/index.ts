/** The operations console's library: its live feed, API routes and risk indicators (services/console serves them). */
export { createFeed, type Feed, type Frame, type Sample, type LandedEvent } from './feed';
export {
  createConsoleHandler,
  securityHeaders,
  readers,
  coordinators,
  replayers,
  type ConsoleHandler,
} from './api';
export { recallSummaries, type RecallSummary } from './recalls';
export { riskIndicators, type RiskIndicator } from './risks';
export { deviceSignals, type DeviceSignals } from './devices';
export { caseQueue, caseActors, stepActors, type CaseQueue, type CaseSummary } from './cases';
export { followConsoleFeed, type FeedFollower } from './follow';
