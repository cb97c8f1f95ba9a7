/**
 * A WebSocket subscriber for people (`unitrail epcis watch`): follows a named query and reports, for
 * each event it receives, how long after landing it arrived (now − its recordTime, which is the
 * sink's transaction start on the database clock: the machine's clock must be the database's).
 */
import WebSocket from 'ws';
import { DependencyError } from '../errors';

export interface WatchedEvent {
  eventID: string;
  recordTime: string;
  /** Milliseconds from landing (recordTime) to receipt. */
  delayMs: number;
  /** When it was received (Date.now()). */
  receivedAt: number;
}

/** The events of a subscription's delivery (an EPCISQueryDocument, by WebSocket or webhook). */
export function deliveredEvents(body: string): { eventID: string; recordTime: string }[] {
  const doc = JSON.parse(body) as {
    epcisBody?: {
      queryResults?: { resultsBody?: { eventList?: { eventID?: string; recordTime?: string }[] } };
    };
  };
  return (doc.epcisBody?.queryResults?.resultsBody?.eventList ?? []).map((e) => ({
    eventID: e.eventID ?? '',
    recordTime: e.recordTime ?? '',
  }));
}

export function watchQuery({
  base,
  token,
  queryName,
  onEvent,
}: {
  base: string;
  token: string;
  queryName: string;
  onEvent: (e: WatchedEvent) => void;
}): { opened: Promise<void>; closed: Promise<void>; close: () => void } {
  const url = `${base.replace(/^http/, 'ws')}/queries/${encodeURIComponent(queryName)}/events`;
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => {
      reject(
        new DependencyError(
          'capture-api',
          `${url} answered ${res.statusCode} ${res.statusMessage ?? ''}`.trim(),
        ),
      );
    });
    ws.once('error', (err) => reject(new DependencyError('capture-api', `${url}: ${err.message}`, err)));
  });
  ws.on('message', (data) => {
    const at = Date.now();
    for (const { eventID, recordTime } of deliveredEvents(String(data))) {
      onEvent({ eventID, recordTime, delayMs: at - new Date(recordTime).getTime(), receivedAt: at });
    }
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  return { opened, closed, close: () => ws.close() };
}
