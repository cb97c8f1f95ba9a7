import { DependencyError, InvalidInputError, UnitrailError } from '../errors';
import { backoffMs, createRetry, errorCode, isRetriable } from '.';

const withCode = (code: string) => Object.assign(new Error('message text does not matter'), { code });
const withStatus = (status: number) => Object.assign(new Error('HTTP'), { status });
/** kafkajs errors carry `retriable` and their protocol type. */
const kafkajs = (name: string, retriable: boolean, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(name), { name, retriable, ...extra });

describe('isRetriable', () => {
  it.each([
    ['a DependencyError', new DependencyError('redis', 'down'), true],
    ['an InvalidInputError', new InvalidInputError([{ code: 'X', message: 'y' }]), false],
    ['a plain UnitrailError', new UnitrailError('REGISTRY', 'no'), false],
    ['a kafkajs connection error', kafkajs('KafkaJSConnectionError', true), true],
    [
      'a kafkajs protocol error MESSAGE_TOO_LARGE',
      kafkajs('KafkaJSProtocolError', false, { type: 'MESSAGE_TOO_LARGE' }),
      false,
    ],
    [
      'kafkajs retries exceeded on a connection error',
      kafkajs('KafkaJSNumberOfRetriesExceeded', false, { cause: kafkajs('KafkaJSConnectionError', true) }),
      true,
    ],
    [
      'kafkajs retries exceeded on a refusal',
      kafkajs('KafkaJSNumberOfRetriesExceeded', false, { cause: kafkajs('KafkaJSProtocolError', false) }),
      false,
    ],
    ['SQLSTATE 08006 connection failure', withCode('08006'), true],
    ['SQLSTATE 08001 cannot connect', withCode('08001'), true],
    ['SQLSTATE 53300 too many connections', withCode('53300'), true],
    ['SQLSTATE 57P01 admin shutdown', withCode('57P01'), true],
    ['SQLSTATE 57P03 cannot connect now', withCode('57P03'), true],
    ['SQLSTATE 40001 serialization failure', withCode('40001'), true],
    ['SQLSTATE 40P01 deadlock', withCode('40P01'), true],
    ['SQLSTATE 22021 invalid byte sequence (NUL)', withCode('22021'), false],
    ['SQLSTATE 22P05 unsupported Unicode escape', withCode('22P05'), false],
    ['SQLSTATE 23505 unique violation', withCode('23505'), false],
    ['SQLSTATE 54000 index row too large', withCode('54000'), false],
    ['SQLSTATE 42601 syntax error', withCode('42601'), false],
    ['SQLSTATE 42P01 undefined table (a migration not run)', withCode('42P01'), true],
    ['SQLSTATE 42501 insufficient privilege', withCode('42501'), true],
    ['SQLSTATE 28P01 wrong password', withCode('28P01'), true],
    ['SQLSTATE 3D000 no such database', withCode('3D000'), true],
    ['ECONNREFUSED', withCode('ECONNREFUSED'), true],
    ['ECONNRESET', withCode('ECONNRESET'), true],
    ['ETIMEDOUT', withCode('ETIMEDOUT'), true],
    ['EPIPE', withCode('EPIPE'), true],
    ['ENOENT', withCode('ENOENT'), false],
    ['HTTP 503', withStatus(503), true],
    ['HTTP 500', withStatus(500), true],
    ['HTTP 429', withStatus(429), true],
    ['HTTP 408', withStatus(408), true],
    ['HTTP 404', withStatus(404), false],
    ['HTTP 400', withStatus(400), false],
    [
      'a fetch failure wrapping ECONNREFUSED',
      Object.assign(new TypeError('fetch failed'), { cause: withCode('ECONNREFUSED') }),
      true,
    ],
    ['a RangeError', new RangeError('Invalid time value'), false],
    ['a string', 'oops', false],
    ['null', null, false],
  ])('%s → %s', (_what, err, expected) => {
    expect(isRetriable(err)).toBe(expected);
  });

  it('never reads the message text', () => {
    expect(isRetriable(new Error('ECONNREFUSED Connection terminated unexpectedly'))).toBe(false);
  });
});

describe('errorCode', () => {
  it('names SQLSTATE, kafkajs type and HTTP status', () => {
    expect(errorCode(withCode('22021'))).toBe('22021');
    expect(errorCode(kafkajs('KafkaJSProtocolError', false, { type: 'MESSAGE_TOO_LARGE' }))).toBe(
      'MESSAGE_TOO_LARGE',
    );
    expect(errorCode(withStatus(503))).toBe('HTTP_503');
    expect(errorCode(new RangeError('x'))).toBeUndefined();
  });
});

describe('backoffMs', () => {
  it('grows by the factor up to the cap', () => {
    const exact = { jitter: 0 };
    expect([0, 1, 2, 3, 10].map((a) => backoffMs(a, { initialMs: 100, maxMs: 1000, ...exact }))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
  });
  it('jitters within the share asked for', () => {
    expect(backoffMs(2, { initialMs: 100, jitter: 0.2, random: () => 0 })).toBe(320);
    expect(backoffMs(2, { initialMs: 100, jitter: 0.2, random: () => 1 })).toBe(400);
    expect(backoffMs(2, { initialMs: 100, jitter: 1, random: () => 0.5 })).toBe(200);
  });
});

describe('createRetry', () => {
  const noSleep = jest.fn(async () => {});
  it('retries retriable failures with back-off until it succeeds', async () => {
    const waits: number[] = [];
    const retry = createRetry({
      retries: 5,
      initialMs: 10,
      jitter: 0,
      sleep: async (ms) => void waits.push(ms),
    });
    let calls = 0;
    const result = await retry(async () => {
      if (++calls < 3) throw withCode('ECONNRESET');
      return 'done';
    });
    expect(result).toBe('done');
    expect(waits).toEqual([10, 20]);
  });
  it('throws a non-retriable failure at once', async () => {
    const retry = createRetry({ sleep: noSleep });
    const fn = jest.fn(async () => Promise.reject(withCode('23505')));
    await expect(retry(fn)).rejects.toMatchObject({ code: '23505' });
    expect(fn).toHaveBeenCalledTimes(1);
  });
  it('gives up after `retries` and when told to stop', async () => {
    const fn = jest.fn(async () => Promise.reject(withCode('08006')));
    await expect(createRetry({ retries: 2, sleep: noSleep })(fn)).rejects.toMatchObject({ code: '08006' });
    expect(fn).toHaveBeenCalledTimes(3);
    const stopped = jest.fn(async () => Promise.reject(withCode('08006')));
    await expect(
      createRetry({ retries: Infinity, sleep: noSleep })(stopped, {
        shouldStop: () => stopped.mock.calls.length >= 4,
      }),
    ).rejects.toMatchObject({ code: '08006' });
    expect(stopped).toHaveBeenCalledTimes(4);
  });
  it('tells onRetry about each failure before waiting', async () => {
    const seen: number[] = [];
    const retry = createRetry({ retries: 3, sleep: noSleep });
    await expect(
      retry(async () => Promise.reject(withCode('ETIMEDOUT')), {
        onRetry: ({ attempt }) => void seen.push(attempt),
      }),
    ).rejects.toBeDefined();
    expect(seen).toEqual([0, 1, 2]);
  });
});
