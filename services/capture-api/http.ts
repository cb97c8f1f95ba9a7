/**
 * The HTTP plumbing of the capture binding, free of business: which media types are EPCIS documents,
 * reading a body no larger than allowed, and RFC 7807 problem answers with the EPCIS 2.0 exception
 * types (epcisException:ValidationException...).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Reason } from '../../libs/errors';
import type { ErrorBehaviour } from './jobs';

/** EPCIS 2.0 REST binding: JSON-LD and XML documents. */
export const documentMediaTypes = ['application/json', 'application/ld+json', 'application/xml', 'text/xml'];

export type MediaTypeCheck = { ok: true } | { ok: false; reason: string };

export function checkMediaType(header: string | undefined): MediaTypeCheck {
  if (!header)
    return { ok: false, reason: `Content-Type is missing; send one of ${documentMediaTypes.join(', ')}` };
  const [type = '', ...params] = header.split(';').map((p) => p.trim().toLowerCase());
  if (!documentMediaTypes.includes(type)) {
    return { ok: false, reason: `Content-Type ${type} is not one of ${documentMediaTypes.join(', ')}` };
  }
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice(8)
    .replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') {
    return { ok: false, reason: `charset ${charset} is not accepted; send UTF-8` };
  }
  return { ok: true };
}

/** The GS1-Capture-Error-Behaviour header; we default to `proceed` (capture the valid events). */
export function errorBehaviourOf(header: string | undefined): ErrorBehaviour | null {
  const v = (header ?? 'proceed').trim().toLowerCase();
  return v === 'proceed' || v === 'rollback' ? v : null;
}

export type BodyResult = { ok: true; body: Buffer } | { ok: false; tooLarge: true };

/**
 * Reads at most `maxBytes`. A larger body is answered 413 once it has been drained (so the client,
 * still sending, reads the answer instead of a reset), unless it goes on past `4 × maxBytes`: then
 * the connection is cut.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  const hardLimit = maxBytes * 4;
  if (declared > hardLimit) return Promise.resolve({ ok: false, tooLarge: true });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else if (size > hardLimit) {
        req.destroy();
        resolve({ ok: false, tooLarge: true });
      } else chunks.length = 0;
    });
    req.on('end', () =>
      resolve(size > maxBytes ? { ok: false, tooLarge: true } : { ok: true, body: Buffer.concat(chunks) }),
    );
    req.on('error', reject);
  });
}

/** Decodes UTF-8, refusing invalid sequences instead of turning them into U+FFFD. */
export function utf8(body: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return null;
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

const exceptionTypes: Record<number, string> = {
  400: 'epcisException:ValidationException',
  401: 'epcisException:SecurityException',
  403: 'epcisException:SecurityException',
  404: 'epcisException:NoSuchResourceException',
  405: 'epcisException:MethodNotAllowedException',
  413: 'epcisException:CaptureLimitExceededException',
  415: 'epcisException:UnsupportedMediaTypeException',
  503: 'epcisException:ServiceUnavailableException',
  500: 'epcisException:ImplementationException',
};

/** An RFC 7807 problem; `reasons` carries our reason codes (400: each with the JSON path or XML line). */
export function sendProblem(
  res: ServerResponse,
  status: number,
  detail: string,
  { reasons, headers = {} }: { reasons?: readonly Reason[]; headers?: Record<string, string> } = {},
): void {
  const body = {
    type: exceptionTypes[status] ?? 'epcisException:ImplementationException',
    title: detail,
    status,
    ...(reasons ? { reasons } : {}),
  };
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
