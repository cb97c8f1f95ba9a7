/** Analyst logins: read-only roles in the analyst group of migration 002 (`unitrail db grant-analyst`). */
import pg from 'pg';
import { UsageError, UnitrailError } from '../errors';
import { db } from './failure';

/** The group role of migration 002: USAGE on schema analyst, SELECT on its views, nothing else. */
export const ANALYST_GROUP = 'unitrail_analyst';

/**
 * Creates (or updates) a LOGIN role that is a member of the analyst group; idempotent. Refuses names
 * that would hand analyst rights to a role that can do more (superuser, create roles or databases,
 * bypass row security, replication).
 */
export async function grantAnalyst(
  pool: pg.Pool,
  name: string,
  { password, statementTimeout = '30s' }: { password?: string; statementTimeout?: string } = {},
): Promise<'created' | 'updated'> {
  if (!/^\d+(ms|s|min)$/.test(statementTimeout)) {
    throw new UsageError(
      `--statement-timeout ${statementTimeout} must be a number with ms, s or min (e.g. 30s)`,
    );
  }
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new UsageError(
      `'${name}' is not a plain role name: use lower-case letters, digits and _ (at most 63)`,
    );
  }
  if (name === ANALYST_GROUP || name.startsWith('pg_')) {
    throw new UsageError(`'${name}' is reserved; choose another name for the analyst login`);
  }
  return db('grant analyst', async () => {
    const client = await pool.connect();
    try {
      const group = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [ANALYST_GROUP]);
      if (group.rowCount === 0) {
        throw new UnitrailError(
          'NO_ANALYST_GROUP',
          `role ${ANALYST_GROUP} does not exist; run 'unitrail db migrate' first`,
        );
      }
      const existing = await client.query<{ powerful: boolean }>(
        `SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication AS powerful
           FROM pg_roles WHERE rolname = $1`,
        [name],
      );
      if (existing.rows[0]?.powerful) {
        throw new UsageError(
          `role ${name} exists with more than read rights (superuser, createrole, createdb, bypassrls or replication); choose another name`,
        );
      }
      const role = pg.escapeIdentifier(name);
      const pass = password === undefined ? '' : ` PASSWORD ${pg.escapeLiteral(password)}`;
      let created = existing.rowCount === 0;
      try {
        if (created) {
          // Another grant-analyst may create it between our look and CREATE: then update it.
          await client.query(`CREATE ROLE ${role} LOGIN INHERIT${pass}`).catch((err: { code?: string }) => {
            if (err.code !== '42710' && err.code !== '23505') throw err;
            created = false;
          });
        }
        if (!created) await client.query(`ALTER ROLE ${role} LOGIN INHERIT${pass}`);
        await client.query(`GRANT ${ANALYST_GROUP} TO ${role}`);
        // A runaway analyst query cannot hold the store: every statement of this login is bounded.
        await client.query(
          `ALTER ROLE ${role} SET statement_timeout = ${pg.escapeLiteral(statementTimeout)}`,
        );
        await client.query(`ALTER ROLE ${role} SET idle_in_transaction_session_timeout = '5min'`);
        // CONNECT on this database only (migration 040 takes it from PUBLIC here).
        const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
        await client.query(`GRANT CONNECT ON DATABASE ${pg.escapeIdentifier(rows[0]!.db)} TO ${role}`);
      } catch (err) {
        if ((err as { code?: string }).code === '42501') {
          throw new UnitrailError(
            'NO_CREATEROLE',
            `the database user cannot create roles (${(err as Error).message}); run this as a user with CREATEROLE`,
          );
        }
        throw err;
      }
      return created ? 'created' : 'updated';
    } finally {
      client.release();
    }
  });
}
