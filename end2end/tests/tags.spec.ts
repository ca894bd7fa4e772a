// Tags and rules as a person uses them: tagging an entry with the mouse, the keyboard and a
// right-click, filtering by a tag, building a rule with a preview, applying a template, a phone's
// width, and the Tags page without JavaScript.
import { APIRequestContext, Page } from '@playwright/test';
import { test, expect, hydrated } from './fixtures';

const run = `${Date.now() % 100000}`;

async function seed(request: APIRequestContext, host: string, numbers: number[]): Promise<number[]> {
  const ids: number[] = [];
  for (const n of numbers) {
    const res = await request.post('/api/ports', {
      data: { ip_address: host, port_number: n, description: `svc ${n}` },
    });
    expect(res.status(), await res.text()).toBe(201);
    ids.push((await res.json()).id);
  }
  return ids;
}

async function tagsOf(request: APIRequestContext, id: number): Promise<string[]> {
  const res = await request.get(`/api/ports/${id}/tags`);
  expect(res.status()).toBe(200);
  return ((await res.json()) as { name: string }[]).map((t) => t.name);
}

async function openPorts(page: Page, host: string): Promise<void> {
  await page.goto(`/?q=${encodeURIComponent(host)}`);
  await hydrated(page);
}

test('tag an entry with the mouse: create a tag inline, tick and untick', async ({ page, request }) => {
  const host = '10.77.0.1';
  const [id] = await seed(request, host, [8080]);
  await openPorts(page, host);
  const row = page.locator(`[data-port-id="${id}"]`);
  await row.getByRole('button', { name: 'Tags of port 8080' }).click();
  const menu = page.locator('#tag-menu');
  await expect(menu).toBeVisible();
  await page.locator('#tag-menu-search').fill(`mouse-${run}`);
  await page.locator('#tag-menu-create').click();
  const box = menu.locator('.tag-choice', { hasText: `mouse-${run}` }).locator('input[type=checkbox]');
  await expect(box).toBeChecked();
  await expect.poll(() => tagsOf(request, id)).toEqual([`mouse-${run}`]);
  await page.locator('#tag-menu-done').click();
  await expect(menu).toBeHidden();
  await expect(row.locator('.tag-badge', { hasText: `mouse-${run}` })).toBeVisible();

  // Untick it again from the menu.
  await row.getByRole('button', { name: 'Tags of port 8080' }).click();
  await menu.locator('.tag-choice', { hasText: `mouse-${run}` }).locator('input[type=checkbox]').uncheck();
  await expect.poll(() => tagsOf(request, id)).toEqual([]);
  await page.locator('#tag-menu-done').click();
  await expect(row.locator('.tag-badge')).toHaveCount(0);
});

test('tag an entry with the keyboard and by right-click; focus comes back', async ({ page, request }) => {
  const host = '10.77.0.2';
  const [id] = await seed(request, host, [9000]);
  const res = await request.post('/api/tags', { data: { name: `keys-${run}`, color: '#fde047' } });
  expect(res.status()).toBe(201);
  await openPorts(page, host);
  const row = page.locator(`[data-port-id="${id}"]`);
  const button = row.getByRole('button', { name: 'Tags of port 9000' });
  await button.focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#tag-menu-search')).toBeFocused();
  // Typing narrows the list to one tag; Enter ticks it.
  await page.keyboard.type(`keys-${run}`);
  await page.keyboard.press('Enter');
  await expect.poll(() => tagsOf(request, id)).toEqual([`keys-${run}`]);
  await page.keyboard.press('Escape');
  await expect(page.locator('#tag-menu')).toBeHidden();
  await expect(button).toBeFocused();
  const badge = row.locator('.tag-badge', { hasText: `keys-${run}` });
  await expect(badge).toBeVisible();
  // A yellow tag gets dark text (readable), in the light and the dark theme alike.
  await expect(badge).toHaveCSS('color', 'rgb(0, 0, 0)');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(badge).toHaveCSS('color', 'rgb(0, 0, 0)');
  await page.emulateMedia({ colorScheme: 'light' });

  // Right-click on the row opens the same menu.
  await row.locator('.port-desc').click({ button: 'right' });
  await expect(page.locator('#tag-menu')).toBeVisible();
  await expect(page.locator('#tag-menu-title')).toHaveText(`Tags of ${host}:9000/TCP`);
  await page.keyboard.press('Escape');
});

test('clicking a badge filters the Ports page by its tag', async ({ page, request }) => {
  const host = '10.77.0.3';
  const ids = await seed(request, host, [7001, 7002, 7003]);
  const tag = (await (await request.post('/api/tags', { data: { name: `filter ${run}` } })).json()).id;
  const res = await request.post('/api/ports/tags', { data: { port_ids: [ids[0], ids[2]], add: [tag] } });
  expect(res.status()).toBe(200);
  await openPorts(page, host);
  await expect(page.locator(`.host-panel[data-host="${host}"] .port-row`)).toHaveCount(3);
  await page.locator(`[data-port-id="${ids[0]}"] .tag-badge`).click();
  await expect(page.locator('#port-filter')).toHaveValue(`tag:"filter ${run}"`);
  await expect(page.locator(`.host-panel[data-host="${host}"] .port-row`)).toHaveCount(2);
  await expect(page.locator(`[data-port-id="${ids[1]}"]`)).toHaveCount(0);
  // The same filter typed, with text: AND.
  await page.locator('#port-filter').fill(`tag:"filter ${run}" 7003`);
  await expect(page.locator('.port-row')).toHaveCount(1);
});

test('build a rule with a preview, save it, run it, read its log', async ({ page, request }) => {
  const host = '10.77.0.4';
  const ids = await seed(request, host, [6001, 6002, 6003]);
  await page.goto('/tags');
  await hydrated(page);
  await page.locator('#new-rule-btn').click();
  const modal = page.locator('#rule-modal');
  await expect(page.locator('#rule-name')).toBeFocused();
  await page.locator('#rule-name').fill(`Range ${run}`);
  // First condition: a port range; then a group "any of" address prefix / exact.
  const first = modal.locator('.cond-leaf').first();
  await first.locator('.cond-type').selectOption('port_range');
  await first.locator('.cond-value').nth(0).fill('6001');
  await first.locator('.cond-value').nth(1).fill('6002');
  await modal.locator('.add-group').first().click();
  const group = modal.locator('.cond-group .cond-group');
  await group.locator('.group-op').selectOption('OR');
  await group.locator('.cond-leaf .cond-type').selectOption('ip_prefix');
  await group.locator('.cond-leaf .cond-value').fill('10.77.0.');
  await modal.locator('.action-tag').fill(`ranged-${run}`);
  // A bad pattern is reported on its condition, inline.
  await group.locator('.add-condition').click();
  const second = group.locator('.cond-leaf').nth(1);
  await second.locator('.cond-type').selectOption('description_regex');
  await second.locator('.cond-value').fill('(svc');
  await page.locator('#preview-rule-btn').click();
  await expect(second.locator('.invalid-feedback')).toContainText('invalid pattern');
  await second.getByRole('button', { name: /Remove/ }).click();
  await page.locator('#preview-rule-btn').click();
  await expect(page.locator('#rule-preview-message')).toHaveText('matches 2 entries; would change 2');
  await expect(page.locator('#rule-preview li')).toHaveCount(2);
  expect(await tagsOf(request, ids[0])).toEqual([]);
  await page.locator('#save-rule-btn').click();
  await expect(modal).toBeHidden();
  const item = page.locator('.rule-item', { hasText: `Range ${run}` });
  await expect(item).toBeVisible();
  await item.getByRole('button', { name: `Run rule Range ${run}` }).click();
  await expect(page.locator('#rules-notice')).toContainText('2 entries changed');
  await expect.poll(() => tagsOf(request, ids[1])).toEqual([`ranged-${run}`]);
  expect(await tagsOf(request, ids[2])).toEqual([]);
  await item.getByRole('button', { name: `Log of rule Range ${run}` }).click();
  await expect(page.locator('#rule-log-table tbody tr')).toHaveCount(2);
  await page.keyboard.press('Escape');
  // The tag the rule created shows in the tags table with its count.
  await expect(page.locator(`#tags-table tr[data-tag="ranged-${run}"] .tag-count`)).toHaveText('2');
});

test('apply a template: its rules appear, applying again skips them', async ({ page }) => {
  await page.goto('/tags');
  await hydrated(page);
  await page.locator('#templates-btn').click();
  await page.getByRole('button', { name: 'Apply template Monitoring' }).click();
  await expect(page.locator('#rules-notice')).toContainText(/Monitoring: \d rules? added/);
  await expect(page.locator('.rule-item', { hasText: 'Monitoring services' })).toBeVisible();
  await page.getByRole('button', { name: 'Apply template Monitoring' }).click();
  await expect(page.locator('#rules-notice')).toContainText('skipped (a rule with that name exists): Monitoring services, Logging services');
});

test('the tag menu and the Tags page work at 360 px with touch', async ({ browser, baseURL, request }) => {
  const host = '10.77.0.5';
  const [id] = await seed(request, host, [5005]);
  const context = await browser.newContext({ baseURL, viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  await openPorts(page, host);
  await page.locator(`[data-port-id="${id}"] .tag-port-btn`).tap();
  await page.locator('#tag-menu-search').fill(`phone-${run}`);
  await page.locator('#tag-menu-create').tap();
  await expect.poll(() => tagsOf(request, id)).toEqual([`phone-${run}`]);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  // The Tags page fits too (a long tag name wraps).
  await page.goto('/tags');
  await hydrated(page);
  await expect(page.locator(`#tags-table tr[data-tag="phone-${run}"]`)).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await context.close();
});

test('without JavaScript the Tags page lists the tags and a badge link filters', async ({ browser, baseURL, request }) => {
  const host = '10.77.0.6';
  const [id] = await seed(request, host, [4004]);
  const tag = (await (await request.post('/api/tags', { data: { name: `nojs-${run}` } })).json()).id;
  await request.put(`/api/ports/${id}/tags`, { data: { tag_ids: [tag] } });
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/tags');
  await expect(page.locator(`#tags-table tr[data-tag="nojs-${run}"] .tag-count`)).toHaveText('1');
  await page.locator(`#tags-table tr[data-tag="nojs-${run}"] .tag-count`).click();
  await expect(page).toHaveURL(/\?q=tag:nojs-/);
  await expect(page.locator('.port-row')).toHaveCount(1);
  await expect(page.locator(`[data-port-id="${id}"] .tag-badge`)).toHaveText(`nojs-${run}`);
  await context.close();
});
