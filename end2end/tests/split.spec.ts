// Each page is its own wasm module: the browser loads the shared main module plus the page it shows,
// the server's HTML preloads exactly those, and moving to another page in the app loads that page's
// module then (and it works).
import { test, expect, hydrated } from './fixtures';

/** The wasm files a page fetches, by name. */
function wasmRequests(page: import('@playwright/test').Page): string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    const name = new URL(r.url()).pathname;
    if (name.endsWith('.wasm')) seen.push(name.replace('/pkg/', ''));
  });
  return seen;
}

/** The splitter's manifest: the wasm files each split point loads, by the split point's name prefix. */
async function splitPoints(request: import('@playwright/test').APIRequestContext): Promise<(prefix: string) => string[]> {
  const manifest = (await (await request.get('/pkg/__wasm_split_manifest.json')).json()) as Record<string, string[]>;
  return (prefix: string) => {
    const key = Object.keys(manifest).find((k) => k.startsWith(prefix));
    expect(key, `a split point ${prefix}`).toBeTruthy();
    return manifest[key!].map((f) => `${f}.wasm`);
  };
}

test('the Ports page loads its own module, preloaded by the HTML; Settings loads when opened', async ({ page, request }) => {
  const filesOf = await splitPoints(request);
  const ports = filesOf('__ports_route_view_');
  const settings = filesOf('__settings_route_view_');
  const settingsOnly = settings.filter((f) => !ports.includes(f));
  expect(settingsOnly.length).toBeGreaterThan(0);

  // The server-rendered page names the modules the page needs, so they download with the main one.
  const html = await (await request.get('/')).text();
  for (const f of ports) expect(html).toContain(`href="/pkg/${f}"`);
  for (const f of settingsOnly) expect(html).not.toContain(`/pkg/${f}"`);

  const fetched = wasmRequests(page);
  await page.goto('/');
  await hydrated(page);
  expect(fetched).toContain('portall.wasm');
  for (const f of ports) expect(fetched).toContain(f);
  for (const f of settingsOnly) expect(fetched).not.toContain(f);

  // In-app navigation: the Settings module arrives on demand and the page answers to its controls.
  await page.locator('#nav-settings').click();
  await expect(page).toHaveURL(/\/settings$/);
  await page.locator('#add-docker-instance-btn').click();
  await expect(page.locator('#type-docker')).toBeVisible();
  for (const f of settingsOnly) expect(fetched).toContain(f);
  await page.keyboard.press('Escape');
  await expect(page.locator('#add-docker-instance-btn')).toBeFocused();
});

test('a dialog is not in the first visit: its module loads when it first opens, and it works', async ({ page, request }) => {
  const filesOf = await splitPoints(request);
  const ports = filesOf('__ports_route_view_');
  const dialogOnly = filesOf('port_dialog_').filter((f) => !ports.includes(f));
  expect(dialogOnly.length).toBeGreaterThan(0);

  const html = await (await request.get('/')).text();
  for (const f of dialogOnly) expect(html).not.toContain(`/pkg/${f}"`);
  // Neither rendered on the server nor hydrated: the dialog is not in the page until it opens.
  expect(html).not.toContain('id="portModal"');

  const fetched = wasmRequests(page);
  await page.goto('/');
  await hydrated(page);
  for (const f of dialogOnly) expect(fetched).not.toContain(f);

  // The keyboard opens it; focus lands in its first field once its code has arrived.
  await page.locator('#add-port-btn').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#portModal')).toBeVisible();
  await expect(page.locator('#port-ip')).toBeFocused();
  for (const f of dialogOnly) expect(fetched).toContain(f);
  await page.keyboard.press('Escape');
  await expect(page.locator('#portModal')).toBeHidden();
  await expect(page.locator('#add-port-btn')).toBeFocused();

  // Open again: the same dialog, nothing fetched twice.
  const before = fetched.length;
  await page.locator('#add-port-btn').click();
  await expect(page.locator('#port-ip')).toBeFocused();
  expect(fetched.length).toBe(before);
  await page.keyboard.press('Escape');
});

test('a Settings tab is its own module: the first visit loads the tab it opens on, another tab loads when opened', async ({ page, request }) => {
  const filesOf = await splitPoints(request);
  const appearance = filesOf('appearance_tab_');
  const settings = filesOf('__settings_route_view_');
  const aboutOnly = filesOf('about_tab_').filter((f) => !appearance.includes(f) && !settings.includes(f));
  expect(aboutOnly.length).toBeGreaterThan(0);

  // The HTML preloads the page and the tab it opens on, not the other tabs.
  const html = await (await request.get('/settings?tab=appearance')).text();
  for (const f of [...settings, ...appearance]) expect(html).toContain(`href="/pkg/${f}"`);
  for (const f of aboutOnly) expect(html).not.toContain(`/pkg/${f}"`);

  const fetched = wasmRequests(page);
  await page.goto('/settings?tab=appearance');
  await hydrated(page);
  for (const f of appearance) expect(fetched).toContain(f);
  for (const f of aboutOnly) expect(fetched).not.toContain(f);
  await expect(page.locator('#appearance-card')).toBeVisible();

  // Another tab: its code arrives when it is opened, and its controls work.
  await page.locator('#tab-about').click();
  await expect(page).toHaveURL(/tab=about$/);
  await expect(page.locator('#system-card')).toBeVisible();
  await expect(page.locator('#appearance-card')).toHaveCount(0);
  for (const f of aboutOnly) expect(fetched).toContain(f);
  const asked = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/api/'));
  await page.locator('#check-status-btn').focus();
  await page.keyboard.press('Enter');
  expect((await asked).status()).toBe(200);

  // Back to the first tab: shown again, nothing fetched twice.
  const before = fetched.length;
  await page.goBack();
  await expect(page.locator('#appearance-card')).toBeVisible();
  expect(fetched.length).toBe(before);
});
