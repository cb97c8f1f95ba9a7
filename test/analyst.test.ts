/**
 * Analyst access: every ```sql example in docs/sql-guide.md runs, as a login made by
 * `grant-analyst`, against a store holding the reference story, and returns rows; the same login
 * is refused the raw tables and any write.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freshDatabase } from './helpers';
import { grantAnalyst, writeBatch, writeDlq } from '../libs/store';
import { referenceStory } from '../libs/journey';
import { UsageError } from '../libs/errors';

const { story } = referenceStory;

const guide = fs.readFileSync(path.join(__dirname, '../docs/sql-guide.md'), 'utf8');
const examples = [...guide.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());

const login = `ut_it_analyst_${process.pid}`;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let analyst: pg.Client;

beforeAll(async () => {
  db = await freshDatabase('analyst');
  await writeBatch(
    db.pool,
    Object.values(story).map((event) => ({ event, recallId: null })),
    'test',
  );
  await writeDlq(db.pool, [
    {
      dlqId: 'it-analyst-1',
      stage: 'validator',
      reasons: [
        { code: 'GS1_CHECK_DIGIT', message: 'bad check digit' },
        { code: 'MISSING_FIELD', message: 'no bizStep' },
      ],
      sourceTopic: 'ut.raw.mes.v1',
      sourcePartition: 0,
      sourceOffset: 7,
      schemaId: null,
      sourceSystem: 'MES',
      deviceId: 'line-1-printer',
      eventId: null,
      originalKey: null,
      originalValue: Buffer.from('x'),
      originalHeaders: {},
      replayOf: null,
      failedAt: Date.UTC(2026, 2, 2, 9),
    },
  ]);
  expect(await grantAnalyst(db.pool, login, { password: 'pw' })).toBe('created');
  const url = new URL(db.url);
  url.username = login;
  url.password = 'pw';
  analyst = new pg.Client({ connectionString: url.toString() });
  await analyst.connect();
}, 60_000); // a fresh migrated database takes longer than jest's 5 s on a busy box
afterAll(async () => {
  await analyst?.end();
  await db.drop();
  // After its database: the login's CONNECT grant there would otherwise keep the role.
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`DROP ROLE IF EXISTS ${login}`);
  await admin.end();
}, 60_000);

const adminUrl = () => {
  const u = new URL(db.url);
  u.pathname = '/postgres';
  return u.toString();
};
const asAnalyst = (url: string) => {
  const u = new URL(url);
  u.username = login;
  u.password = 'pw';
  return new pg.Client({ connectionString: u.toString() });
};

describe('the SQL guide', () => {
  it('has examples for every view', () => {
    for (const view of [
      'unit_journey',
      'lot_units_now',
      'device_reads',
      'site_daily_events',
      'dlq_reasons_daily',
    ]) {
      expect(examples.some((sql) => sql.includes(`analyst.${view}`))).toBe(true);
    }
  });

  it.each(examples.map((sql) => [sql.split('\n').find((l) => l.startsWith('FROM'))!, sql]))(
    'runs as an analyst and returns rows: %s',
    async (_from, sql) => {
      const result = await analyst.query(sql);
      expect(result.rows.length).toBeGreaterThan(0);
    },
  );
});

describe('the analyst role', () => {
  it.each([
    'SELECT * FROM ut.events',
    'SELECT * FROM ut.event_identifiers',
    'SELECT * FROM ut.aggregation_facts',
    'SELECT * FROM ut.aggregation_intervals',
    'SELECT * FROM ut.unit_state',
    'SELECT * FROM ut.dlq',
    'SELECT * FROM ut.ledger_batches',
    "SELECT * FROM ut.journey('x')",
    'SELECT * FROM ut_schema_migrations',
  ])('is refused %s', async (sql) => {
    await expect(analyst.query(sql)).rejects.toThrow(/permission denied/);
  });

  it('cannot write or create anything', async () => {
    await expect(analyst.query("DELETE FROM analyst.lot_units_now WHERE lot = 'x'")).rejects.toThrow(
      /permission denied|cannot delete/,
    );
    await expect(analyst.query('CREATE TABLE analyst.mine (a int)')).rejects.toThrow(/permission denied/);
    await expect(analyst.query('CREATE TABLE public.mine (a int)')).rejects.toThrow(/permission denied/);
  });

  it('reads the same journey through the view as the owner does through the function', async () => {
    const uri = story.pack.childEpcs[0]!.uri;
    const viaView = await analyst.query('SELECT event_id FROM analyst.unit_journey WHERE unit_uri = $1', [
      uri,
    ]);
    const direct = await db.pool.query('SELECT event_id FROM ut.journey($1)', [uri]);
    expect(viaView.rows).toEqual(direct.rows);
    expect(direct.rowCount).toBe(11);
  });
});

describe('grant-analyst', () => {
  it('is idempotent and says what is wrong with a bad name', async () => {
    expect(await grantAnalyst(db.pool, login)).toBe('updated');
    await expect(grantAnalyst(db.pool, 'Robert"); DROP TABLE x; --')).rejects.toThrow(UsageError);
    await expect(grantAnalyst(db.pool, 'unitrail_analyst')).rejects.toThrow(/reserved/);
    await expect(grantAnalyst(db.pool, 'postgres')).rejects.toThrow(/more than read rights/);
    await expect(grantAnalyst(db.pool, login, { statementTimeout: 'forever' })).rejects.toThrow(
      '--statement-timeout forever must be a number with ms, s or min (e.g. 30s)',
    );
  });

  it('bounds every statement of the login (statement_timeout, default 30s)', async () => {
    expect((await analyst.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('30s');
    await grantAnalyst(db.pool, login, { password: 'pw', statementTimeout: '200ms' });
    const short = asAnalyst(db.url);
    await short.connect();
    try {
      const err = await short.query('SELECT pg_sleep(5)').catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('57014'); // query_canceled by statement timeout
    } finally {
      await short.end();
      await grantAnalyst(db.pool, login, { password: 'pw' });
    }
  });

  it('cannot connect to another unitrail database on the same server', async () => {
    const other = await freshDatabase('analyst_other');
    const client = asAnalyst(other.url);
    try {
      const err = await client.connect().catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('42501'); // insufficient_privilege: no CONNECT
    } finally {
      await client.end().catch(() => {});
      await other.drop();
    }
  }, 120_000);
});
