/**
 * HTTP plumbing shared by the capture and ops APIs: reading a body no larger than allowed, JSON
 * answers, and RFC 7807 problem answers (with the EPCIS 2.0 exception types where they apply).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Reason } from '../errors';
import { textProblem } from '../epcis';

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

export type Decoded = { ok: true; value: string } | { ok: false; reason: string };

/**
 * A percent-encoded path segment or query value → text, strictly: malformed escapes (`%ud800`),
 * bytes that are not UTF-8 (`%ED%A0%80` is a surrogate, `%FF%FE` no character at all) and NUL are
 * refused with a reason instead of throwing (a 500) or being replaced by U+FFFD (altered).
 */
export function decodeStrict(raw: string, what: string): Decoded {
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    return { ok: false, reason: `${what} ${JSON.stringify(raw)} is not percent-encoded UTF-8` };
  }
  const problem = textProblem(value);
  return problem === null
    ? { ok: true, value }
    : { ok: false, reason: `${what} ${JSON.stringify(raw)} ${problem}` };
}

/** The query's parameters decoded strictly (`+` is a space), or why one cannot be. */
export function decodeQuery(
  search: string,
): { ok: true; params: Record<string, string> } | { ok: false; reason: string } {
  const params: Record<string, string> = {};
  for (const part of search.replace(/^\?/, '').split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeStrict((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '), 'query parameter');
    if (!name.ok) return name;
    const value = decodeStrict(
      eq < 0 ? '' : part.slice(eq + 1).replace(/\+/g, ' '),
      `query parameter ${name.value}`,
    );
    if (!value.ok) return value;
    params[name.value] = value.value;
  }
  return { ok: true, params };
}
