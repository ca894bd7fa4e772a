// Stops the `portall` process global-setup started (SIGTERM; it must exit on its own).
import { stopProcess } from './portall';

export default async function globalTeardown(): Promise<void> {
  const pid = Number(process.env.PORTALL_PID);
  if (!pid) return;
  await stopProcess(pid, process.env.PORTALL_E2E_DIR);
}
