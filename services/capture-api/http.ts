/**
 * The capture binding's own HTTP rules: which media types are EPCIS documents, and the capture
 * error behaviour header. Bodies and answers: libs/http.
 */
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

export { readBody, utf8, sendJson, sendProblem, type BodyResult } from '../../libs/http';
