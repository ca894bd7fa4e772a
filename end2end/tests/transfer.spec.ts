// Import, export and appearance as a person uses them: paste a Compose file, preview, confirm; pick a
// Caddyfile from disk; download the export; choose a theme and see it on every page without
// JavaScript.
import { test, expect, hydrated } from './fixtures';

const run = `${Date.now() % 100000}`;
// 203.0.113.0/24 is this file's alone: other specs seed fixed hosts in 198.51.100.0/24 and 192.0.2.0/24,
// and a host shared with them would not start empty.
const host = `203.0.113.${(Number(run) % 200) + 20}`;

test('paste a Compose file, preview it, confirm, and a second preview skips everything', async ({ page, request }) => {
  await page.goto('/import');
  await hydrated(page);
  const compose = [
    'services:',
    '    web:',
    '        image: nginx',
    '        ports:',
    `            - "${41000 + (Number(run) % 1000)}:80"`,
    '            - "9000"',
    '    db:',
    '        image: postgres',
    '        ports:',
    `            - target: 5432`,
    `              published: "\${DB_PORT:-${42000 + (Number(run) % 1000)}}"`,
  ].join('\n');
  await page.locator('#import-content').fill(compose);
  await page.locator('#import-host').fill(host);
  await page.locator('#import-preview-btn').click();
  const added = page.locator('#import-added tbody tr');
  await expect(added).toHaveCount(2);
  await expect(added.first()).toContainText(host);
  await expect(page.locator('#import-errors')).toContainText('line 6');
  await expect(page.locator('#import-errors')).toContainText('Docker picks');
  // Nothing is stored by a preview.
  const sources = async () =>
    ((await (await request.get('/api/ports')).json()) as { ip_address: string; source: string }[])
      .filter((p) => p.ip_address === host)
      .map((p) => p.source);
  expect(await sources()).toEqual([]);

  await page.locator('#import-confirm-btn').click();
  await expect(page.locator('#import-result')).toHaveText('Added 2 entries, skipped 0 already present, 1 not understood');
  await expect.poll(sources).toEqual(['import', 'import']);

  await page.locator('#import-preview-btn').click();
  await expect(page.locator('#import-skipped tbody tr')).toHaveCount(2);
  await expect(page.locator('#import-confirm-btn')).toBeDisabled();
});

test('a file that cannot be read says why, on its line, inline', async ({ page }) => {
  await page.goto('/import');
  await hydrated(page);
  await page.locator('#import-format').selectOption('caddyfile');
  await page.locator('#import-content').fill('example.com {\n  reverse_proxy app:8080\n');
  await page.locator('#import-preview-btn').click();
  await expect(page.locator('#import-content-error')).toContainText('line 1');
  await expect(page.locator('#import-preview')).toHaveCount(0);
});

test('pick a Caddyfile from disk: the format follows the name, upstreams are previewed', async ({ page }) => {
  await page.goto('/import');
  await hydrated(page);
  const caddyfile = `${host}.example {\n\thandle /api/* {\n\t\treverse_proxy ${host}:7001 ${host}:7002\n\t}\n}\n`;
  await page.locator('#import-upload').setInputFiles({ name: 'Caddyfile', mimeType: 'text/plain', buffer: Buffer.from(caddyfile) });
  await expect(page.locator('#import-file-name')).toContainText('Caddyfile');
  await expect(page.locator('#import-format')).toHaveValue('caddyfile');
  await expect(page.locator('#import-content')).toHaveValue(caddyfile);
  await page.locator('#import-preview-btn').click();
  const rows = page.locator('#import-added tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1)).toContainText('7002');
  await expect(rows.nth(1)).toContainText(`${host}.example`);
});

test('the export downloads as portall-export-DATE.json and holds the entries', async ({ page }) => {
  await page.goto('/settings?tab=data');
  await hydrated(page);
  const download = page.waitForEvent('download');
  await page.locator('#export-json').click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^portall-export-\d{4}-\d{2}-\d{2}\.json$/);
  const text = await (await file.createReadStream()).toArray();
  const doc = JSON.parse(Buffer.concat(text).toString('utf8'));
  expect(doc.format).toBe('portall');
  expect(Array.isArray(doc.ports)).toBe(true);
});

test('a theme chosen in Settings applies at once and on the first paint of every page, JavaScript off', async ({ page, browser, baseURL, request }) => {
  await page.goto('/settings?tab=appearance');
  await hydrated(page);
  await page.locator('#theme-dark').check();
  await page.locator('#custom-css-input').fill('.brand-mark { outline: 2px solid rgb(1, 2, 3); }');
  await page.locator('#save-appearance-btn').click();
  await expect(page.locator('#appearance-saved')).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.locator('.brand-mark')).toHaveCSS('outline-color', 'rgb(1, 2, 3)');

  const context = await browser.newContext({ javaScriptEnabled: false, baseURL, colorScheme: 'light' });
  const noJs = await context.newPage();
  for (const route of ['/', '/tags', '/import', '/settings?tab=about']) {
    await noJs.goto(route);
    await expect(noJs.locator('html')).toHaveAttribute('data-theme', 'dark');
    const bg = await noJs.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg, route).toBe('rgb(15, 20, 28)');
    await expect(noJs.locator('.brand-mark')).toHaveCSS('outline-color', 'rgb(1, 2, 3)');
  }
  await context.close();
  const reset = await request.put('/api/settings/appearance', { data: { theme: 'system', custom_css: '' } });
  expect(reset.status()).toBe(200);
});
