/** A console API route and what its handler is given: apart from api.ts so route files (cases.ts) need not import it. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal, Role } from '../tokens';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
  who: Principal;
  /** The body as a JSON object (at most 1 MiB). */
  body: () => Promise<Record<string, unknown>>;
  /** The body's bytes, or null when larger than `max`. */
  raw: (max: number) => Promise<Buffer | null>;
}

export interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  name: string;
  roles: readonly Role[];
  run: (ctx: Ctx) => Promise<void>;
}
