// Scanning a host as a person does it, on loopback only: "Scan…" on a host panel, watch the progress,
// add one found port by mouse and the rest with the keyboard; "Check" marks each entry; a host-scan
// integration is added in Settings like the others.
import * as net from 'net';
import { test, expect, hydrated } from './fixtures';
import { ports } from './helpers';

const host = `127.77.9.${(Date.now() % 200) + 20}`;
const host2 = `127.77.8.${(Date.now() % 200) + 20}`;

/** Binds `len` consecutive ports on `ip`; keeps the listeners at `open` (offsets), closes the rest. */
async function block(ip: string, len: number, open: number[]): Promise<{ base: number; close: () => void }> {
  const bind = (port: number) =>
    new Promise<net.Server | null>((resolve) => {
      const s = net.createServer((c) => c.destroy());
      s.once('error', () => resolve(null));
      s.listen(port, ip, () => resolve(s));
    });
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 10000);
    const servers = await Promise.all(Array.from({ length: len }, (_, i) => bind(base + i)));
    if (servers.every((s) => s !== null)) {
      servers.forEach((s, i) => {
        if (!open.includes(i)) s!.close();
      });
      return { base, close: () => servers.forEach((s) => s!.close()) };
    }
    servers.forEach((s) => s?.close());
  }
  throw new Error(`no free block of ${len} ports on ${ip}`);
}

test('scan a host from its panel, watch progress, add what was found by mouse and keyboard', async ({ page, request }) => {
  const listeners = await block(host, 24, [2, 9, 17]);
  const { base } = listeners;
  try {
    expect((await request.post('/api/hosts', { data: { address: host, nickname: 'Scan me' } })).status()).toBe(201);
    await page.goto('/');
    await hydrated(page);
    const panel = page.locator(`.host-panel[data-host="${host}"]`);
    await panel.locator('.scan-host-btn').click();
    const dialog = page.locator('#scan-dialog');
    await expect(dialog).toBeVisible();
    await expect(page.locator('#scan-ports')).toBeFocused();

    // A range the parser refuses is named inline, before anything is sent.
    await page.locator('#scan-ports').fill('10-5');
    await page.locator('#scan-start-btn').click();
    await expect(page.locator('#scan-ports-error')).toContainText('starts after it ends');

    await page.locator('#scan-ports').fill(`${base}-${base + 23}, !${base + 17}`);
    await page.locator('#scan-timeout').fill('300');
    await page.locator('#scan-start-btn').click();
    await expect(page.locator('#scan-progress')).toBeVisible();
    await expect(page.locator('#scan-line')).toContainText('Checked 23 of 23 ports · 2 open');
    const found = page.locator('#scan-found li');
    await expect(found).toHaveCount(2);
    await expect(found.nth(0)).toHaveAttribute('data-found', String(base + 2));
    await expect(page.locator('#scan-add-all-btn')).toHaveText('Add all (2)');

    // Add one by mouse: it says "already known" and appears on the panel.
    await found.nth(0).getByRole('button', { name: `Add port ${base + 2}` }).click();
    await expect(found.nth(0)).toContainText('already known');
    await expect(panel.locator(`.port-row[data-port="${base + 2}"]`)).toBeVisible();
    // The rest with the keyboard.
    await page.locator('#scan-add-all-btn').focus();
    await page.keyboard.press('Enter');
    await expect(found.nth(1)).toContainText('already known');
    await expect(page.locator('#scan-add-all-btn')).toHaveCount(0);
    // The same scan on a schedule: a host-scan integration, in one click.
    await page.locator('#scan-schedule-btn').click();
    await expect(page.locator('#scan-scheduled')).toContainText(`Added the integration 'Host scan @ ${host}'`);
    await expect(page.locator('#scan-close-btn')).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(panel.locator('.scan-host-btn')).toBeFocused();

    const mine = (await ports(request)).filter((p) => p.ip_address === host);
    expect(mine.map((p) => [p.port_number, p.source, p.check?.state])).toEqual([
      [base + 2, 'scan', 'listening'],
      [base + 9, 'scan', 'listening'],
    ]);
    await expect(panel.locator(`.port-row[data-port="${base + 9}"] .check-listening`)).toBeVisible();
  } finally {
    listeners.close();
  }

  // The listeners are gone: "Check" says so on each entry.
  await panelOf(page).locator('.check-host-btn').click();
  await expect(page.locator('#ports-notice')).toContainText(`${host}: 0 listening, 2 not answering`);
  await expect(panelOf(page).locator('.check-not_answering')).toHaveCount(2);
});

function panelOf(page: import('@playwright/test').Page) {
  return page.locator(`.host-panel[data-host="${host}"]`);
}

test('a host-scan integration is added in Settings like the others', async ({ page }) => {
  await page.goto('/settings');
  await hydrated(page);
  await page.locator('#add-docker-instance-btn').click();
  const modal = page.locator('#dockerInstanceModal');
  await expect(modal.locator('label[for="type-hostscan"]')).toContainText('UDP is not scanned');
  await page.locator('label[for="type-hostscan"]').click();
  await page.locator('#instance-next-btn').click();
  await page.locator('#instance-auto-detect').uncheck();
  await page.locator('#hostscan-address').fill(host2);
  await expect(page.locator('#hostscan-ports')).toHaveValue('1-1024');
  await page.locator('#hostscan-ports').fill('1-99999');
  await page.locator('#save-instance-btn').click();
  await expect(page.locator('#hostscan-ports-error')).toContainText('ports are 1–65535');
  await page.locator('#hostscan-ports').fill('22, 80, 443');
  await page.locator('#test-connection-btn').click();
  await expect(page.locator('#test-connection-result')).toContainText(`Connected: ${host2} is ${host2}: 3 ports to scan`);
  await page.locator('#save-instance-btn').click();
  await expect(modal).toBeHidden();
  const block = page.locator('.docker-instance-block', { has: page.locator('.instance-name', { hasText: `Host scan @ ${host2}` }) });
  await expect(block).toBeVisible();
  await block.locator('.scan-instance-btn').click();
  await expect(block.locator('.status-text')).toHaveText('OK');
});
