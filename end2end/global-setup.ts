// Starts the real `portall` binary (target/debug/portall) on a free loopback port with a temporary
// SQLite database, waits for /healthz, and hands the address to the tests through the environment.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '..');

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

/** The FROM-scratch busybox image the tests run containers from (built once, like the Rust harness). */
function ensureImage(): void {
  const image = 'portall-test-busybox:1';
  try {
    execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore' });
    return;
  } catch {
    /* build it */
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portall-image-'));
  fs.copyFileSync('/bin/busybox', path.join(dir, 'busybox'));
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\nCMD ["sleep", "86400"]\n',
  );
  execFileSync('docker', ['build', '-q', '-t', image, dir], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
}

export default async function globalSetup(): Promise<void> {
  ensureImage();
  const binary = process.env.PORTALL_BIN ?? path.join(repoRoot, 'target/debug/portall');
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run 'cargo build -p server' first`);
  if (!fs.existsSync(path.join(repoRoot, 'target/site/pkg/portall.wasm'))) {
    throw new Error("target/site/pkg/portall.wasm is missing: run 'trunk build' first");
  }
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
    },
    stdio: ['ignore', log, log],
    detached: false,
  });
  child.unref();
  process.env.PORTALL_BASE_URL = url;
  process.env.PORTALL_PID = String(child.pid);
  process.env.PORTALL_E2E_DIR = dir;
  await waitHealthy(url, 20_000);
}
