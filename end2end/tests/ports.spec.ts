// The Ports page: manual entries added, edited, refused as duplicates, deleted; the filter; mobile views.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, expect, hydrated } from './fixtures';
import { ports } from './helpers';

test('add, edit, refuse a duplicate, delete a manual port', async ({ page, request }) => {
  await page.goto('/');
  await hydrated(page);
  await page.locator('#add-port-btn').click();
  await expect(page.locator('#port-ip')).toBeFocused();
  await page.locator('#port-ip').fill('192.0.2.99');
  await page.locator('#port-nickname').fill('e2e-box');
  await page.locator('#port-number').fill('8080');
  await page.locator('#port-description').fill('E2E web');
  await page.locator('#save-port-btn').click();
  const panel = page.locator('.host-panel[data-host="192.0.2.99"]');
  const row = panel.locator('.port-row[data-port="8080"]');
  await expect(row).toContainText('E2E web');
  await expect(panel.locator('.host-nickname')).toHaveText('e2e-box');

  await panel.locator('.edit-host-btn').click();
  await page.locator('#host-nickname').fill('renamed-box');
  await page.keyboard.press('Enter');
  await expect(panel.locator('.host-nickname')).toHaveText('renamed-box');

  await row.locator('.edit-port-btn').click();
  await page.locator('#port-description').fill('E2E web (edited)');
  await page.locator('#save-port-btn').click();
  await expect(row).toContainText('E2E web (edited)');

  await page.locator('#add-port-btn').click();
  await page.locator('#port-ip').fill('192.0.2.99');
  await page.locator('#port-number').fill('8080');
  await page.locator('#port-description').fill('Another');
  await page.locator('#save-port-btn').click();
  await expect(page.locator('#port-conflict')).toContainText("already in the list as 'E2E web (edited)'");
  await page.locator('#port-cancel-btn').click();

  await page.locator('#add-port-btn').click();
  await page.locator('#port-number').fill('70000');
  await page.locator('#save-port-btn').click();
  // Shared validation, inline under each field, described for screen readers; focus on the first error.
  await expect(page.locator('#port-number-error')).toContainText('65535');
  await expect(page.locator('#port-number')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#port-number')).toHaveAttribute('aria-describedby', 'port-number-error');
  await expect(page.locator('#port-description-error')).toBeVisible();
  await expect(page.locator('#port-ip')).toBeFocused(); // the empty address is the first field in error
  await page.keyboard.press('Escape');

  await page.locator('#port-filter').fill('8080');
  await expect(row).toBeVisible();
  await expect(page.locator('#port-availability')).toContainText('Port 8080 is in use on 192.0.2.99 (renamed-box, TCP)');
  await page.locator('#port-filter').fill('1');
  await expect(page.locator('#port-availability')).toContainText('Port 1 is free on all');
  await page.locator('#port-filter').fill('no-such-thing');
  await expect(page.locator('#no-match')).toBeVisible();
  await expect(page.locator('#port-availability')).toHaveCount(0);
  await page.locator('#port-filter').fill('');

  await row.locator('.delete-port-btn').click();
  await row.locator('.delete-port-btn').click();
  await expect(row).toHaveCount(0);
  expect((await ports(request)).some((p) => p.ip_address === '192.0.2.99')).toBe(false);
});

test('the first load is server-rendered: ports are in the HTML before any WASM', async ({ request }) => {
  await request.post('/api/ports', { data: { ip_address: '192.0.2.98', port_number: 5432, description: 'Postgres SSR' } });
  const html = await (await request.get('/?q=192.0.2.98')).text();
  expect(html).toContain('Postgres SSR');
  expect(html).toContain('data-host="192.0.2.98"');
  expect(html, 'rendered in place, not in templates a script must move').not.toContain('<template');
});

test('without JavaScript both pages still show their data', async ({ browser, baseURL, request }) => {
  await request.post('/api/ports', { data: { ip_address: '192.0.2.97', port_number: 6379, description: 'Redis no-JS' } });
  const context = await browser.newContext({ javaScriptEnabled: false, baseURL });
  const page = await context.newPage();
  await page.goto('/?q=Redis no-JS');
  await expect(page.locator('[data-host="192.0.2.97"] .port-row[data-port="6379"]')).toContainText('Redis no-JS');
  await page.goto('/settings');
  await expect(page.locator('#docker-instances-container')).toBeVisible();
  await expect(page.locator('#add-docker-instance-btn')).toBeVisible();
  await context.close();
});

test('mobile 360x740: both pages fit, screenshots stored', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, baseURL });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const dir = path.join(__dirname, '..', 'artifacts');
  fs.mkdirSync(dir, { recursive: true });
  for (const [route, file] of [['/', 'ports-360.png'], ['/settings', 'settings-360.png']]) {
    await page.goto(route);
    await hydrated(page);
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}`),
    );
    expect(wide, `${route}: elements wider than the screen`).toEqual([]);
    await page.screenshot({ path: path.join(dir, file), fullPage: true });
  }
  await page.locator('#add-docker-instance-btn').click();
  await page.locator('label[for="type-komodo"]').click();
  await page.locator('#instance-next-btn').click();
  const box = await page.locator('#dockerInstanceModal').boundingBox();
  expect(box!.width).toBeLessThanOrEqual(360);
  await page.screenshot({ path: path.join(dir, 'modal-360.png') });
  expect(errors).toEqual([]);
  await context.close();
});
