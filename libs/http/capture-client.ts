/**
 * A client of the EPCIS capture API (`unitrail capture FILE`): POST /capture, then follow the job
 * until it ends. A refused document is an answer too (its problem JSON), not an exception.
 */
import { DependencyError, UnitrailError } from '../errors';

export interface CaptureJob {
  captureID: string;
  status: string;
  running: boolean;
  counts: { events: number; accepted: number; rejected: number; published: number };
}

export type CaptureOutcome =
  { refused: true; status: number; problem: unknown } | { refused: false; job: CaptureJob };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    throw new DependencyError(
      'capture-api',
      `${new URL(url).origin} does not answer (is it running? 'unitrail run capture-api'; or pass --url)`,
      err,
    );
  }
}

export async function captureDocument({
  base,
  token,
  body,
  rollback = false,
  timeoutMs = 120_000,
  onJob = () => {},
  onTimeout = () => {},
}: {
  base: string;
  token: string;
  body: Buffer;
  rollback?: boolean;
  timeoutMs?: number;
  /** Called once when the job is accepted and still running. */
  onJob?: (job: CaptureJob) => void;
  /** Called with the job as it last stood when `timeoutMs` ran out, before the error is thrown. */
  onTimeout?: (job: CaptureJob) => void;
}): Promise<CaptureOutcome> {
  base = base.replace(/\/+$/, '');
  const xml = /^[\s\ufeff]*</.test(body.subarray(0, 64).toString('utf8'));
  const headers = {
    authorization: `Bearer ${token}`,
    'content-type': xml ? 'application/xml' : 'application/ld+json',
    ...(rollback ? { 'gs1-capture-error-behaviour': 'rollback' } : {}),
  };
  const posted = await call(`${base}/capture`, { method: 'POST', headers, body });
  if (posted.status !== 202) {
    const text = await posted.text();
    const problem = text.trim().startsWith('{') ? JSON.parse(text) : { status: posted.status, title: text };
    return { refused: true, status: posted.status, problem };
  }
  let job = (await posted.json()) as CaptureJob;
  const location = new URL(posted.headers.get('location') ?? `/capture/${job.captureID}`, base).toString();
  if (job.running) onJob(job);
  const until = Date.now() + timeoutMs;
  for (let wait = 100; job.running; wait = Math.min(1000, wait * 2)) {
    if (Date.now() > until) {
      onTimeout(job);
      throw new UnitrailError(
        'CAPTURE_TIMEOUT',
        `job ${job.captureID} still running after ${timeoutMs / 1000} s; see ${location}`,
      );
    }
    await sleep(wait);
    const res = await call(location, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok)
      throw new UnitrailError('CAPTURE_JOB', `GET ${location}: HTTP ${res.status} ${await res.text()}`);
    job = (await res.json()) as CaptureJob;
  }
  return { refused: false, job };
}
