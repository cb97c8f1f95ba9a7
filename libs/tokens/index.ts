/**
 * Bearer tokens of the HTTP APIs (capture, ops). A token is shown once, when it is created; the
 * database keeps only its SHA-256, so a leaked table does not leak a usable token. Tokens are long
 * random strings, so an unsalted hash is enough and lets us look a token up by its hash.
 */
import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { UsageError } from '../errors';
import { db } from '../store';

export const roles = [
  'producer',
  'recall_coordinator',
  'quality',
  'warranty',
  'admin',
  'reader',
  'viewer',
] as const;
export type Role = (typeof roles)[number];

export interface Principal {
  name: string;
  role: Role;
}

export interface TokenInfo extends Principal {
  createdAt: Date;
  revokedAt: Date | null;
}

export type AuthResult =
  | { ok: true; principal: Principal }
  /** 401: no or unknown token (answer with `WWW-Authenticate: Bearer`); 403: a token of another role. */
  | { ok: false; status: 401 | 403; reason: string };

const TOKEN_PREFIX = 'ut_';

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** 32 random bytes: guessing is hopeless, so no rate limiting is needed for safety. */
export function newToken(): string {
  return TOKEN_PREFIX + crypto.randomBytes(32).toString('base64url');
}

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header ?? '');
  return m ? m[1]! : null;
}

/** The pure decision, given the live token row the header's token hashes to (or none). */
export function decide(
  token: string | null,
  row: Principal | undefined,
  allowedRoles: readonly Role[],
): AuthResult {
  if (token === null) return { ok: false, status: 401, reason: 'a bearer token is required' };
  if (!row) return { ok: false, status: 401, reason: 'the token is unknown or revoked' };
  if (!allowedRoles.includes(row.role)) {
    return {
      ok: false,
      status: 403,
      reason: `token '${row.name}' has role ${row.role}; this needs ${allowedRoles.join(' or ')}`,
    };
  }
  return { ok: true, principal: row };
}

/** Checks an Authorization header against the live tokens. */
export async function authenticate(
  pool: Pool,
  authorizationHeader: string | undefined,
  allowedRoles: readonly Role[],
): Promise<AuthResult> {
  const token = bearerToken(authorizationHeader);
  if (token === null) return decide(null, undefined, allowedRoles);
  const rows = await db('token lookup', () =>
    pool.query<Principal>(
      'SELECT name, role FROM ut.api_tokens WHERE token_hash = $1 AND revoked_at IS NULL',
      [hashToken(token)],
    ),
  );
  return decide(token, rows.rows[0], allowedRoles);
}

/** Creates a token; returns it in clear, the only time it is ever available. */
export async function createToken(
  pool: Pool,
  { name, role }: { name: string; role: string },
): Promise<{ token: string } & Principal> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/.test(name)) {
    throw new UsageError(
      `token name '${name}' must be 1-100 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`,
    );
  }
  if (!isRole(role)) throw new UsageError(`role '${role}' is not one of ${roles.join(', ')}`);
  const token = newToken();
  try {
    await db('token create', () =>
      pool.query('INSERT INTO ut.api_tokens (name, role, token_hash) VALUES ($1, $2, $3)', [
        name,
        role,
        hashToken(token),
      ]),
    );
  } catch (err) {
    if ((err as { code?: string }).code === '23505') {
      throw new UsageError(
        `a live token named '${name}' exists; revoke it first ('unitrail token revoke ${name}')`,
      );
    }
    throw err;
  }
  return { token, name, role };
}

export async function listTokens(pool: Pool): Promise<TokenInfo[]> {
  const rows = await db('token list', () =>
    pool.query<{ name: string; role: Role; created_at: Date; revoked_at: Date | null }>(
      'SELECT name, role, created_at, revoked_at FROM ut.api_tokens ORDER BY name, created_at',
    ),
  );
  return rows.rows.map((r) => ({
    name: r.name,
    role: r.role,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  }));
}

/** Revokes the live token of that name; false when there is none. */
export async function revokeToken(pool: Pool, name: string): Promise<boolean> {
  const res = await db('token revoke', () =>
    pool.query('UPDATE ut.api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL', [name]),
  );
  return (res.rowCount ?? 0) > 0;
}

/** Tokens for people: name, role, created, revoked (never the tokens themselves). */
export function formatTokens(tokens: TokenInfo[]): string {
  const width = Math.max(4, ...tokens.map((t) => t.name.length));
  const row = (name: string, role: string, created: string, revoked: string) =>
    `${name.padEnd(width)}  ${role.padEnd(18)}  ${created.padEnd(24)}  ${revoked}`;
  return [
    row('name', 'role', 'created', 'revoked'),
    ...tokens.map((t) => row(t.name, t.role, t.createdAt.toISOString(), t.revokedAt?.toISOString() ?? '-')),
  ].join('\n');
}
