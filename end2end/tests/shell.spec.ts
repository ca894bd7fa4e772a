// The app shell: server-rendered first load, hydration, a server function, client-side routing.
import { test, expect, hydrated, expectedNotFound } from './fixtures';

test('server-rendered page hydrates and a server function updates it', async ({ page }) => {
  await page.goto('/settings?tab=about');
  // Server-rendered before any WASM runs: the status card already has its data.
  await expect(page.locator('#db-status')).toHaveText('ok');
  const before = await page.locator('#system-status').getAttribute('data-checked-at');
  expect(before).toBeTruthy();
  await hydrated(page);

  const response = page.waitForResponse((r) => r.url().includes('/api/system_status') && r.ok());
  await page.locator('#check-status-btn').click();
  await response;
  await expect(page.locator('#system-status')).not.toHaveAttribute('data-checked-at', before!);
  await expect(page.locator('#db-status')).toHaveText('ok');
});

test('navigation between pages happens in the browser', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await expect(page.locator('h1')).toHaveText('Ports');
  // A marker on window survives only client-side navigation, not a full page load.
  await page.evaluate(() => ((window as any).__portallMarker = 42));

  await page.locator('#nav-settings').click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.locator('h1')).toHaveText('Settings');
  await expect(page.locator('#nav-settings')).toHaveAttribute('aria-current', 'page');

  await page.locator('#nav-ports').click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('h1')).toHaveText('Ports');
  expect(await page.evaluate(() => (window as any).__portallMarker)).toBe(42);
});

test('unknown paths show the not-found page', async ({ page, baseURL }) => {
  expectedNotFound.add(`${baseURL}/no/such/page`);
  const res = await page.goto('/no/such/page');
  expect(res?.status()).toBe(404);
  await expect(page.locator('#not-found h1')).toHaveText('Page not found');
});

test('a missing asset is still reported as a console error', async ({ page, consoleErrors }) => {
  // Guards the console check itself: only deliberate 404 documents are excused.
  await page.goto('/');
  await hydrated(page);
  await page.evaluate(() => {
    const img = document.createElement('img');
    img.src = '/missing-image.png';
    document.body.appendChild(img);
  });
  await expect.poll(() => consoleErrors.length).toBeGreaterThan(0);
  expect(consoleErrors[0]).toContain('404');
  consoleErrors.length = 0;
});
