import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { requestMetrics, withRequestMetrics } from './service';

describe('request metrics', () => {
  it('counts each request by route and status and times it', async () => {
    const metrics = requestMetrics('test-service', 'test');
    metrics.observe('/things', 200, process.hrtime.bigint());
    metrics.observe('/things', 404, process.hrtime.bigint());
    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      /unitrail_test_requests_total\{route="\/things",status="200",service="unitrail-test-service"\} 1/,
    );
    expect(text).toMatch(
      /unitrail_test_requests_total\{route="\/things",status="404",service="unitrail-test-service"\} 1/,
    );
    expect(text).toMatch(
      /unitrail_test_request_seconds_count\{service="unitrail-test-service",route="\/things"\} 2/,
    );
  });

  it('serves /metrics itself and labels the other requests with the route it is given', async () => {
    const metrics = requestMetrics('wrapped', 'wrapped');
    const handle = withRequestMetrics(
      metrics,
      async (_req, res) => void res.writeHead(418).end(),
      (pathname) => pathname.split('/').slice(0, 2).join('/'),
    );
    const server = http.createServer((req, res) => void handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${base}/teapots/42`)).status).toBe(418);
      // The count is taken when the answer's connection side closes: ask until it shows.
      let text = '';
      for (let i = 0; i < 50 && !text.includes('route="/teapots",status="418"'); i++)
        text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toMatch(/unitrail_wrapped_requests_total\{route="\/teapots",status="418"/);
      expect(text).not.toMatch(/route="\/teapots\/42"/);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
