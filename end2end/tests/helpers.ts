// Helpers for the UI tests: the REST API, uniquely named Docker containers, a fake Portainer.
import { execFileSync } from 'node:child_process';
import * as http from 'node:http';
import { APIRequestContext } from '@playwright/test';

export const IMAGE = 'portall-test-busybox:1';

/** Containers named `<prefix><name>`, removed (only they) by `removeAll`. */
export class Containers {
  readonly prefix = `portall-e2e-${process.pid}-${Date.now() % 100000}-`;
  private names: string[] = [];

  run(name: string, publish: string[]): string {
    const full = this.prefix + name;
    const args = ['run', '-d', '--name', full, '--label', 'portall-test=1'];
    for (const p of publish) args.push('-p', p);
    args.push(IMAGE, 'sleep', '3600');
    execFileSync('docker', args);
    this.names.push(full);
    return full;
  }

  removeAll(): void {
    if (this.names.length) execFileSync('docker', ['rm', '-f', ...this.names], { stdio: 'ignore' });
    this.names = [];
  }
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
