/**
 * The HTTP scaffold the capture API, the ops API and the console share: bodies, JSON and problem
 * answers (answers.ts); request metrics, bearer-token roles and the audit of each request
 * (service.ts); listen, close and signals (serve.ts); and the capture API's client.
 */
export * from './answers';
export * from './service';
export { captureDocument, type CaptureJob, type CaptureOutcome } from './capture-client';
export { listenOn, closeServer, serveUntilSignalled } from './serve';
