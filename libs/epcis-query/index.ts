/**
 * The EPCIS 2.0 query interface on the journey store: query parameters → SQL, page tokens,
 * EPCISQueryDocument answers (JSON-LD and XML), the sharing rule, named queries, subscriptions.
 * The HTTP routes are in services/capture-api/query.ts; partners read docs/epcis-query.md.
 */
export {
  QueryNotImplementedError,
  QueryParameterError,
  parseEventQuery,
  paramsFromUrl,
  bindingParams,
} from './params';
export type { EventQuery, QueryParams } from './params';
export { decodePageToken, encodePageToken, queryDigest, pageTokenTtlMs } from './page';
export type { PageToken } from './page';
export { eventsSql, countSql, valuesSql, headsAhead } from './sql';
export type { Visibility, ValueKind, EventRow, Heads } from './sql';
export { answerEvent, fromCanonical, queryDocument } from './answer';
export { queryDocumentXml, eventXml } from './xml';
export { compileSchedule, scheduleMatches, scheduleOf } from './schedule';
export * from './store';
export { createDispatcher, LANDED_CHANNEL } from './subscriptions';
export type { Dispatcher, SocketSubscriber } from './subscriptions';
export { deliveredEvents, watchQuery } from './watch';
export type { WatchedEvent } from './watch';
