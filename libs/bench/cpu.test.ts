import net from 'node:net';
import { listenerPid, ownCpuMicros, processCpuMicros } from './cpu';
import { localRedisPort } from './pipeline';

describe('listenerPid', () => {
  it('finds the process listening on a port (this one), and null for a port nobody listens on', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      expect(listenerPid(port)).toBe(process.pid);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(listenerPid(port)).toBeNull();
  });

  it("reads the found process's CPU", () => {
    expect(processCpuMicros(process.pid)).toBeGreaterThan(0);
  });
});

describe('localRedisPort', () => {
  it('gives the port of a Redis on this machine, and null for one elsewhere', () => {
    expect(localRedisPort('redis://127.0.0.1:6379/2')).toBe(6379);
    expect(localRedisPort('redis://localhost/0')).toBe(6379);
    expect(localRedisPort('rediss://user:pw@[::1]:6380')).toBe(6380);
    expect(localRedisPort('redis://redis.internal:6379')).toBeNull();
  });
});

describe('ownCpuMicros', () => {
  it("counts this process's CPU since a cpuUsage() taken before, user and system", () => {
    const start = process.cpuUsage();
    const wall = Date.now();
    let x = 0;
    while (Date.now() - wall < 50) x += Math.sqrt(x + 1);
    const used = ownCpuMicros(start);
    const d = process.cpuUsage(start);
    expect(x).toBeGreaterThan(0);
    expect(used).toBeGreaterThanOrEqual(20_000); // ~50 ms of a busy loop
    expect(used).toBeLessThanOrEqual(d.user + d.system); // taken just before the check
  });
});
