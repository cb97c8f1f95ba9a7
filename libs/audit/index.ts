/**
 * The audit log (ut.audit_log): who did what to which resource, and the answer. The HTTP services
 * write one entry a request (libs/http `auditRequest`); the CLI one a change, as cli:<login>.
 */
import type pg from 'pg';
import { db } from '../store';

export interface AuditEntry {
  actor: string;
  role?: string | null;
  action: string;
  resource?: string | null;
  status?: number | null;
  detail?: Record<string, unknown>;
}

/** Appends to the audit log; an audit failure is logged by the caller, never hidden. */
export async function audit(pool: pg.Pool, e: AuditEntry): Promise<void> {
  await db('audit log', () =>
    pool.query(
      'INSERT INTO ut.audit_log (actor, role, action, resource, status, detail) VALUES ($1, $2, $3, $4, $5, $6)',
      [
        e.actor,
        e.role ?? null,
        e.action,
        e.resource ?? null,
        e.status ?? null,
        JSON.stringify(e.detail ?? {}),
      ],
    ),
  );
}

/** Whoever runs the CLI, by their login: the CLI has the database's credentials, so no token names them. */
export const cliActor = () => `cli:${process.env.USER ?? process.env.LOGNAME ?? 'unknown'}`;

/** An entry for a change made from the CLI. */
export const auditCli = (pool: pg.Pool, action: string, resource: string, detail?: Record<string, unknown>) =>
  audit(pool, { actor: cliActor(), action, resource, detail });
