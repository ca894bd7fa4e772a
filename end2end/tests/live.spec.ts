// Live updates: pages subscribe to GET /api/events after hydration. A container started on the engine
// shows up on an open Ports page, and a scan started elsewhere shows on an open Settings page, without
// a reload. The instance scans hourly and Settings no longer polls, so only pushed events explain it.
import { execFileSync } from 'node:child_process';
import { test, expect, hydrated } from './fixtures';
import { Containers, createInstance, freePort } from './helpers';

const containers = new Containers();
test.afterAll(() => containers.removeAll());

test('a started container appears on an open Ports page; a stopped one turns stale', async ({ page, request }) => {
  const inst = await createInstance(request, {
    type: 'docker',
    name: 'E2E Live',
    auto_detect: true,
    scan_interval: 3600,
    config: { public_host: '192.0.2.78' },
  });
  try {
    // Filtered to the host: the page may hold more panels than it shows open.
    await page.goto('/?q=192.0.2.78');
    await hydrated(page);
    await expect(page.locator('body')).toHaveAttribute('data-live', 'subscribed');

    const hostPort = await freePort();
    const started = Date.now();
    // Not waiting for the network to settle: the open page must cope with what a start does to it.
    const name = containers.run('live', [`${hostPort}:80`], { settle: false });
    const row = page.locator(`.host-panel[data-host="192.0.2.78"] .port-row[data-port="${hostPort}"]`);
    await expect(row).toContainText(`${name} (80/tcp)`, { timeout: 10_000 });
    console.log(`pushed to the page ${Date.now() - started} ms after docker run returned`);
    await expect(row).not.toHaveClass(/stale/);

    execFileSync('docker', ['stop', '-t', '1', name]);
    await expect(row).toHaveClass(/stale/, { timeout: 10_000 });
    await expect(row.locator('.badge-stale')).toContainText('last seen');
  } finally {
    await request.delete(`/docker/instances/${inst.id}`);
  }
});

test('a scan started elsewhere shows on an open Settings page', async ({ page, request }) => {
  const inst = await createInstance(request, {
    type: 'docker',
    name: 'E2E Elsewhere',
    auto_detect: false,
    config: { public_host: '192.0.2.79' },
  });
  try {
    await page.goto('/settings');
    await hydrated(page);
    await expect(page.locator('body')).toHaveAttribute('data-live', 'subscribed');
    const block = page.locator('.docker-instance-block', { has: page.locator('.instance-name', { hasText: 'E2E Elsewhere' }) });
    await expect(block.locator('.status-text')).toHaveText('Never scanned');

    // A script (or another tab) scans it.
    const res = await request.post(`/docker/instances/${inst.id}/scan`, { data: {} });
    expect(res.status()).toBe(200);
    await expect(block.locator('.status-text')).toHaveText('OK', { timeout: 10_000 });
    await expect(block.locator('.scan-result')).toContainText(/\d+ containers?, \d+ ports?/);

    // Deleted elsewhere: the block goes.
    await request.delete(`/docker/instances/${inst.id}`);
    await expect(block).toHaveCount(0, { timeout: 10_000 });
  } finally {
    await request.delete(`/docker/instances/${inst.id}`);
  }
});
