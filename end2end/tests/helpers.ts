// Helpers for the UI tests: the REST API, uniquely named Docker containers, a fake Portainer.
import { execFileSync } from 'node:child_process';
import * as http from 'node:http';
import { APIRequestContext } from '@playwright/test';

export const IMAGE = 'portall-test-busybox:1';

/** Containers named `<prefix><name>`, removed (only they) by `removeAll`. */
export class Containers {
  readonly prefix = `portall-e2e-${process.pid}-${Date.now() % 100000}-`;
  private names: string[] = [];

  /** Starts a test container; unless `settle` is false, returns once the host's network settled. */
  run(name: string, publish: string[], { settle = true } = {}): string {
    const full = this.prefix + name;
    const args = ['run', '-d', '--name', full, '--label', 'portall-test=1'];
    for (const p of publish) args.push('-p', p);
    args.push(IMAGE, 'sleep', '3600');
    execFileSync('docker', args);
    this.names.push(full);
    if (settle) settleNetwork();
    return full;
  }

  removeAll(): void {
    if (this.names.length) {
      execFileSync('docker', ['rm', '-f', ...this.names], { stdio: 'ignore' });
      settleNetwork();
    }
    this.names = [];
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Waits until the host's addresses stop changing after a container started or went.
 *
 * Why: Docker gives a container's host-side network interface an IPv6 link-local address that
 * stays tentative for about a second (duplicate address detection). When it becomes final, or
 * when the interface goes, Chromium sees an address change and aborts every request in flight
 * with ERR_NETWORK_CHANGED: a page loading at that moment loses its scripts. Measured here:
 * tentative for 1.1 to 1.3 s after `docker run` returns.
 */
export function settleNetwork(): void {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const tentative = execFileSync('ip', ['-6', '-o', 'addr', 'show', 'tentative'], { encoding: 'utf8' });
    if (!tentative.trim()) break;
    sleepSync(100);
  }
  // Chromium reads the kernel's address notifications on its own thread: let it see the last one.
  sleepSync(300);
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = http.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A Portainer answering as the real one does for a wrong key (reference: integration-apis.md). */
export function fakePortainer(apiKey: string): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = req.url ?? '';
    if (url.startsWith('/api/system/status')) return json(200, { Version: '2.23.0', InstanceID: 'e2e' });
    if (url.startsWith('/api/endpoints')) {
      const key = req.headers['x-api-key'];
      if (!key) return json(401, { message: 'A valid authorization token is missing', details: 'Unauthorized' });
      if (key !== apiKey) return json(401, { message: 'Invalid JWT token', details: 'Unauthorized' });
      res.setHeader('X-Total-Count', '0');
      return json(200, []);
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('404 page not found\n');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({ url: `http://127.0.0.1:${port}`, close: () => server.close() });
    }),
  );
}

export async function createInstance(request: APIRequestContext, body: Record<string, unknown>): Promise<any> {
  const res = await request.post('/docker/instances', { data: body });
  if (res.status() !== 201) throw new Error(`create failed: ${res.status()} ${await res.text()}`);
  return res.json();
}

export async function instances(request: APIRequestContext): Promise<any[]> {
  return (await request.get('/docker/instances')).json();
}

export async function ports(request: APIRequestContext): Promise<any[]> {
  return (await request.get('/api/ports')).json();
}
