// Builds the test image, starts the shared `portall` (portall.ts) and hands its address to the tests
// through the environment.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot, startPortall } from './portall';

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
  if (!fs.existsSync(path.join(repoRoot, 'target/site/pkg/portall.wasm'))) {
    throw new Error("target/site/pkg/portall.wasm is missing: run 'trunk build' first");
  }
  // The shared server runs without accounts; auth.spec.ts starts its own with PORTALL_AUTH=password.
  const running = await startPortall({ PORTALL_AUTH: 'none' });
  process.env.PORTALL_BASE_URL = running.url;
  process.env.PORTALL_PID = String(running.pid);
  process.env.PORTALL_E2E_DIR = running.dir;
}
