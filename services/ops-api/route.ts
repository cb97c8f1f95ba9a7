/** An ops API route: what the handler (server.ts) and the case routes (cases.ts) are made of. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal, Role } from '../../libs/tokens';

export interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  name: string;
  roles: readonly Role[];
  run: (ctx: RequestContext) => Promise<void>;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
  who: Principal;
  /** What the audit log records as the resource (a recall id, a unit). */
  resource: (r: string) => void;
  body: () => Promise<Record<string, unknown>>;
}
