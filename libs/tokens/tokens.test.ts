import type { Pool } from 'pg';
import { authenticate, bearerToken, createToken, decide, hashToken, newToken } from '.';

/** A pool that answers the token lookup from a map of hash → row, and records inserts. */
function fakePool(rows: Record<string, { name: string; role: string }>) {
  const inserted: unknown[][] = [];
  const pool = {
    query: async (sql: string, params: unknown[]) => {
      if (sql.startsWith('INSERT')) {
        inserted.push(params);
        return { rows: [], rowCount: 1 };
      }
      const row = rows[params[0] as string];
      return { rows: row ? [row] : [], rowCount: row ? 1 : 0 };
    },
  };
  return { pool: pool as unknown as Pool, inserted };
}

describe('bearerToken', () => {
  it('reads the token of a Bearer header, any case of the scheme', () => {
    expect(bearerToken('Bearer ut_abc-DEF_123')).toBe('ut_abc-DEF_123');
    expect(bearerToken('bearer ut_x')).toBe('ut_x');
  });
  it('refuses missing, empty and other schemes', () => {
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken('')).toBeNull();
    expect(bearerToken('Bearer ')).toBeNull();
    expect(bearerToken('Basic dXNlcjpwdw==')).toBeNull();
    expect(bearerToken('Bearer two words')).toBeNull();
  });
});

describe('decide', () => {
  const producer = { name: 'acme', role: 'producer' as const };
  it('401 without a token or with an unknown one', () => {
    expect(decide(null, undefined, ['producer'])).toMatchObject({ ok: false, status: 401 });
    expect(decide('ut_x', undefined, ['producer'])).toMatchObject({ ok: false, status: 401 });
  });
  it('403 for a live token of another role, naming both roles', () => {
    const r = decide('ut_x', producer, ['recall_coordinator', 'admin']);
    expect(r).toMatchObject({ ok: false, status: 403 });
    expect(!r.ok && r.reason).toMatch(/role producer.*recall_coordinator or admin/);
  });
  it('lets an allowed role in', () => {
    expect(decide('ut_x', producer, ['producer', 'admin'])).toEqual({ ok: true, principal: producer });
  });
});

describe('authenticate', () => {
  it('looks the token up by its SHA-256, never by the token itself', async () => {
    const token = newToken();
    const { pool } = fakePool({ [hashToken(token)]: { name: 'acme', role: 'producer' } });
    expect(await authenticate(pool, `Bearer ${token}`, ['producer'])).toMatchObject({ ok: true });
    expect(await authenticate(pool, `Bearer ${newToken()}`, ['producer'])).toMatchObject({ status: 401 });
    expect(await authenticate(pool, undefined, ['producer'])).toMatchObject({ status: 401 });
    expect(await authenticate(pool, `Bearer ${token}`, ['admin'])).toMatchObject({ status: 403 });
  });
});

describe('createToken', () => {
  it('stores the hash, returns the token once', async () => {
    const { pool, inserted } = fakePool({});
    const { token, role } = await createToken(pool, { name: 'acme-wms', role: 'producer' });
    expect(role).toBe('producer');
    expect(token).toMatch(/^ut_[A-Za-z0-9_-]{43}$/);
    expect(inserted).toEqual([['acme-wms', 'producer', hashToken(token)]]);
    expect(JSON.stringify(inserted)).not.toContain(token);
  });
  it('refuses an unknown role and a name with spaces', async () => {
    const { pool } = fakePool({});
    await expect(createToken(pool, { name: 'acme', role: 'root' })).rejects.toThrow(/not one of producer/);
    await expect(createToken(pool, { name: 'a b', role: 'producer' })).rejects.toThrow(/token name/);
  });
});
