// Stops the `portall` process global-setup started (SIGTERM; it must exit on its own).
import * as fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const pid = Number(process.env.PORTALL_PID);
  if (!pid) return;
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
  const dir = process.env.PORTALL_E2E_DIR;
  if (dir && !process.env.PORTALL_KEEP_E2E_DIR) fs.rmSync(dir, { recursive: true, force: true });
}
