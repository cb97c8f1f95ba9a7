import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { environmentOf, parseStackFile, readStackFile, stackEnvironment, writeStackFile } from './state';

describe('stack.json', () => {
  it('reads nothing usable from missing, broken or foreign content', () => {
    expect(parseStackFile(undefined).parts).toEqual({});
    expect(parseStackFile('{not json').parts).toEqual({});
    expect(parseStackFile('{"version":2,"parts":{"kafka":{"url":"x","managed":true}}}').parts).toEqual({});
  });

  it('keeps well-formed parts and drops malformed ones', () => {
    const file = parseStackFile(
      JSON.stringify({
        version: 1,
        parts: {
          postgres: { url: 'postgresql://postgres@127.0.0.1:41234/unitrail', managed: true, port: 41234 },
          redis: { url: 42, managed: true },
          nonsense: { url: 'x', managed: true },
        },
      }),
    );
    expect(file.parts).toEqual({
      postgres: { url: 'postgresql://postgres@127.0.0.1:41234/unitrail', managed: true, port: 41234 },
    });
  });

  it('exposes only parts the stack manages as environment defaults', () => {
    const env = environmentOf({
      version: 1,
      updatedAt: '',
      parts: {
        kafka: { url: '127.0.0.1:9092', managed: true },
        registry: { url: 'http://127.0.0.1:8081/apis/ccompat/v7', managed: true },
        postgres: { url: 'postgresql://postgres@127.0.0.1:5432/unitrail', managed: false },
        redis: { url: 'redis://127.0.0.1:40001/0', managed: true, port: 40001 },
      },
    });
    expect(env).toEqual({
      KAFKA_BROKERS: '127.0.0.1:9092',
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
      REDIS_URL: 'redis://127.0.0.1:40001/0',
    });
  });

  it('round-trips through the state dir', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unitrail-state-'));
    try {
      expect(stackEnvironment(dir)).toEqual({});
      writeStackFile(dir, {
        version: 1,
        updatedAt: '',
        parts: {
          postgres: { url: 'postgresql://postgres@127.0.0.1:40002/unitrail', managed: true, port: 40002 },
        },
      });
      expect(readStackFile(dir).parts.postgres?.port).toBe(40002);
      expect(stackEnvironment(dir)).toEqual({
        DATABASE_URL: 'postgresql://postgres@127.0.0.1:40002/unitrail',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
