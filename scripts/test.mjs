#!/usr/bin/env node
// `npm test`: the whole suite, on a fresh machine too. Steps, in order, stopping at the first failure:
//   1. build (tsc: the type check)   2. lint + format check   3. unit tests (no services)
//   4. the local stack up (idempotent: reuses a running one)   5. integration tests against it
// Integration tests get their own database and Redis db unless DATABASE_URL / REDIS_URL are set.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import Redis from 'ioredis';

const env = {
  ...process.env,
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/unitrail_test',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/1',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  // The crash tests SIGKILL stages a dozen times; each dead member holds its partitions until its
  // session ends. 8 s (the default is 15 s) keeps the suite inside its time budget.
  KAFKA_SESSION_TIMEOUT_MS: process.env.KAFKA_SESSION_TIMEOUT_MS ?? '8000',
};
const only = process.argv[2]; // optional: unit | integration

// The integration tests' own database and Redis db start empty each run, together: the seen-set
// in Redis and the ledger in PostgreSQL must agree, or an event claimed by an earlier run would be
// taken for a duplicate of a row that no longer exists.
if (!process.env.DATABASE_URL && only !== 'unit') {
  const admin = new pg.Client({
    connectionString: 'postgresql://postgres@127.0.0.1:5432/postgres',
    connectionTimeoutMillis: 5000,
  });
  try {
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS unitrail_test WITH (FORCE)');
    if (!process.env.REDIS_URL) {
      const redis = new Redis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      await redis.flushdb();
      redis.disconnect();
    }
  } catch (err) {
    // `stack up` names a PostgreSQL that is down and says how to start it; nothing to reset then.
    process.stderr.write(`npm test: could not reset unitrail_test (${err.message}); going on\n`);
  } finally {
    await admin.end().catch(() => {});
  }
}

// Jest writes its results here too, so the run can end on one plain "N passed, N failed" line.
const results = fs.mkdtempSync(path.join(os.tmpdir(), 'unitrail-test-'));
const counts = { passed: 0, failed: 0, skipped: 0 };
function tally(file) {
  if (!fs.existsSync(file)) return;
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  counts.passed += r.numPassedTests;
  counts.failed += r.numFailedTests;
  counts.skipped += r.numPendingTests + (r.numTodoTests ?? 0);
}
const summary = () => `tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;

function step(title, cmd, args) {
  const t0 = Date.now();
  process.stderr.write(`\n== ${title}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    process.stderr.write(`== ${title}: FAILED after ${secs} s\n`);
    tally(path.join(results, 'unit.json'));
    tally(path.join(results, 'integration.json'));
    console.log(summary());
    process.exit(r.status ?? 1);
  }
  process.stderr.write(`== ${title}: ok (${secs} s)\n`);
}

const npx = (...args) => ['npx', ['--no-install', ...args]];
step('build (type check, console page)', 'npm', ['run', 'build', '--silent']);
if (only !== 'integration') {
  step('lint', ...npx('eslint', '.'));
  step('format', ...npx('prettier', '--check', '.'));
  step(
    'unit tests',
    ...npx('jest', '--selectProjects', 'unit', '--json', `--outputFile=${path.join(results, 'unit.json')}`),
  );
}
// The console's browser tests drive Debian's Chromium (test/browser.ts names where it looks).
function ensureChromium() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    Boolean,
  );
  if (candidates.some((p) => fs.existsSync(p))) return;
  const canInstall = process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get');
  if (canInstall) {
    step('install chromium (apt-get)', 'sh', ['-c', 'apt-get update -qq && apt-get install -y -qq chromium']);
    return;
  }
  process.stderr.write(
    "npm test: Chromium is missing; the console's browser tests need it: sudo apt-get install -y chromium (or set CHROMIUM_PATH)\n",
  );
  console.log(summary());
  process.exit(1);
}

if (only !== 'unit') {
  ensureChromium();
  step('local stack up', process.execPath, ['dist/services/cli/main.js', 'stack', 'up']);
  // --forceExit: the registry client keeps HTTP sockets alive after the last test.
  step(
    'integration tests',
    ...npx(
      'jest',
      '--selectProjects',
      'integration',
      '--runInBand',
      '--forceExit',
      '--json',
      `--outputFile=${path.join(results, 'integration.json')}`,
    ),
  );
}

tally(path.join(results, 'unit.json'));
tally(path.join(results, 'integration.json'));
console.log(summary());
