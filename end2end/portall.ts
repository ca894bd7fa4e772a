// Starts the real `portall` binary (target/debug/portall) on a free loopback port with a temporary
// SQLite database and waits for /healthz. global-setup starts the shared one; a spec that needs other
// settings (auth.spec.ts: PORTALL_AUTH=password) starts its own.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url: string, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`portall did not become healthy at ${url} within ${deadlineMs} ms`);
}

export interface Running {
  url: string;
  pid: number;
  dir: string;
  stop(): Promise<void>;
}

export async function startPortall(env: Record<string, string>): Promise<Running> {
  const binary = process.env.PORTALL_BIN ?? path.join(repoRoot, 'target/debug/portall');
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run 'cargo build -p server' first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portall-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = fs.openSync(path.join(dir, 'portall.log'), 'a');
  const child = spawn(binary, [], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: String(port),
      PORTALL_BIND: '127.0.0.1',
      DATABASE_URL: `sqlite://${dir}/portall.db`,
      PORTALL_SITE_ROOT: path.join(repoRoot, 'target/site'),
      RUST_LOG: process.env.RUST_LOG ?? 'info',
      ...env,
    },
    stdio: ['ignore', log, log],
    detached: false,
  });
  child.unref();
  await waitHealthy(url, 20_000);
  const pid = child.pid!;
  return { url, pid, dir, stop: () => stopProcess(pid, dir) };
}

/** SIGTERM, a wait (up to 5 s) for the exit, then the temporary folder goes (unless PORTALL_KEEP_E2E_DIR). */
export async function stopProcess(pid: number, dir: string | undefined): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (dir && !process.env.PORTALL_KEEP_E2E_DIR) fs.rmSync(dir, { recursive: true, force: true });
}
