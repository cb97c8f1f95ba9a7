/**
 * nextPageToken: where the next page starts (keyset: the last answered event's order key and id),
 * which query it belongs to (a digest of the query's parameters), how many events were served so
 * far (for eventCountLimit), and when it expires. Opaque to clients (base64url JSON); it grants
 * nothing, since visibility is applied on every page, so it needs no signature.
 */
import crypto from 'node:crypto';
import { QueryParameterError, bindingParams, type QueryParams } from './params';

export interface PageToken {
  /** Digest of the query's parameters (without the paging ones). */
  query: string;
  /** Order key of the last event served: ISO timestamp with microseconds. */
  afterKey: string;
  afterId: string;
  served: number;
  /** Epoch ms after which the token is refused. */
  expires: number;
}

export const pageTokenTtlMs = 24 * 3600_000;

/** A stable digest of the query parameters, whatever their order. */
export function queryDigest(params: QueryParams): string {
  const entries = Object.entries(params)
    .filter(([k]) => !bindingParams.has(k))
    .map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return crypto.createHash('sha256').update(JSON.stringify(entries)).digest('base64url').slice(0, 22);
}

export function encodePageToken(t: PageToken): string {
  return Buffer.from(JSON.stringify([1, t.query, t.afterKey, t.afterId, t.served, t.expires])).toString(
    'base64url',
  );
}

export function decodePageToken(token: string, params: QueryParams, now = Date.now()): PageToken {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parts = null;
  }
  if (
    !Array.isArray(parts) ||
    parts.length !== 6 ||
    parts[0] !== 1 ||
    typeof parts[1] !== 'string' ||
    typeof parts[2] !== 'string' ||
    typeof parts[3] !== 'string' ||
    !Number.isInteger(parts[4]) ||
    !Number.isInteger(parts[5])
  ) {
    throw new QueryParameterError('nextPageToken is not a token this repository issued');
  }
  const t: PageToken = {
    query: parts[1] as string,
    afterKey: parts[2] as string,
    afterId: parts[3] as string,
    served: parts[4] as number,
    expires: parts[5] as number,
  };
  if (t.query !== queryDigest(params)) {
    throw new QueryParameterError('nextPageToken belongs to another query: send the same parameters with it');
  }
  if (t.expires < now) throw new QueryParameterError('nextPageToken has expired; run the query again');
  return t;
}
