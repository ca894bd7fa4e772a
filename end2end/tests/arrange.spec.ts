// The Ports page as the Python Portall's users know it: their order, drag and drop (mouse, touch,
// keyboard), moving ports between hosts with the conflict dialog, sort buttons, hosts, density.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { APIRequestContext, Locator, Page } from '@playwright/test';
import { test, expect, hydrated } from './fixtures';
import { ports } from './helpers';

async function seed(request: APIRequestContext, host: string, numbers: number[], nickname = ''): Promise<number[]> {
  const ids: number[] = [];
  for (const n of numbers) {
    const res = await request.post('/api/ports', {
      data: { ip_address: host, nickname, port_number: n, description: `svc ${n}` },
    });
    expect(res.status(), await res.text()).toBe(201);
    ids.push((await res.json()).id);
  }
  return ids;
}

/** Puts these hosts' panels first (the shared server has many), so a mouse can reach them. */
async function first(request: APIRequestContext, ...hosts: string[]): Promise<void> {
  const res = await request.put('/api/hosts/order', { data: { hosts } });
  expect(res.status(), await res.text()).toBe(204);
}

async function order(request: APIRequestContext, host: string): Promise<number[]> {
  const list = (await ports(request)).filter((p) => p.ip_address === host);
  list.sort((a, b) => a.order - b.order || a.id - b.id);
  return list.map((p) => p.port_number);
}

function panel(page: Page, host: string): Locator {
  return page.locator(`.host-panel[data-host="${host}"]`);
}

async function shown(page: Page, host: string): Promise<number[]> {
  const list = await panel(page, host).locator('.port-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-port'))));
  return list;
}

/** Drags with the mouse from one element's centre to a point inside another, in steps. */
async function mouseDrag(page: Page, from: Locator, to: Locator, yFraction = 0.3): Promise<void> {
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height * yFraction, { steps: 8 });
  await page.mouse.up();
}

test('mouse: reorder inside a panel, reorder panels, move a port to another host; saved at once', async ({ page, request }) => {
  await seed(request, '198.51.100.11', [1001, 1002, 1003], 'first');
  await seed(request, '198.51.100.12', [2001], 'second');
  await first(request, '198.51.100.11', '198.51.100.12');
  await page.goto('/');
  await hydrated(page);
  const a = panel(page, '198.51.100.11');
  // 1003 onto 1001: it takes 1001's place. (Each drop saves and the page refetches; the next drag
  // starts once that has landed, as a person's would.)
  let refetched = page.waitForResponse((r) => r.url().includes('/api/ports_page'));
  await mouseDrag(page, a.locator('.port-row[data-port="1003"] .drag-handle'), a.locator('.port-row[data-port="1001"]'));
  await expect.poll(() => order(request, '198.51.100.11')).toEqual([1003, 1001, 1002]);
  await expect.poll(() => shown(page, '198.51.100.11')).toEqual([1003, 1001, 1002]);
  await refetched;

  // The second panel's handle onto the first panel: the panels swap.
  const before = await page.locator('.host-panel').evaluateAll((p) => p.map((e) => e.getAttribute('data-host')));
  const i = before.indexOf('198.51.100.11');
  refetched = page.waitForResponse((r) => r.url().includes('/api/ports_page'));
  await mouseDrag(page, panel(page, '198.51.100.12').locator('.host-handle'), a.locator('.host-header'));
  await expect
    .poll(async () => (await page.locator('.host-panel').evaluateAll((p) => p.map((e) => e.getAttribute('data-host')))).indexOf('198.51.100.12'))
    .toBe(i);
  await refetched;

  // 1002 dropped on the other panel: it moves there and takes the host's nickname.
  await mouseDrag(page, a.locator('.port-row[data-port="1002"] .drag-handle'), panel(page, '198.51.100.12').locator('.port-list'), 0.9);
  await expect(panel(page, '198.51.100.12').locator('.port-row[data-port="1002"]')).toBeVisible();
  const moved = (await ports(request)).find((p) => p.port_number === 1002);
  expect([moved.ip_address, moved.nickname]).toEqual(['198.51.100.12', 'second']);

  await page.reload();
  await hydrated(page);
  expect(await shown(page, '198.51.100.11')).toEqual([1003, 1001]);
});

test('keyboard: Space picks up, arrows move (left/right change host), Space drops, Esc cancels; announced', async ({ page, request }) => {
  await seed(request, '198.51.100.21', [3001, 3002, 3003]);
  await seed(request, '198.51.100.22', [4001]);
  await page.goto('/');
  await hydrated(page);
  const handle = (port: number) => page.locator(`.port-row[data-port="${port}"] .drag-handle`);
  await handle(3001).focus();
  await page.keyboard.press('Space');
  await expect(page.locator('#dnd-live')).toContainText('Picked up, position 1 of 3 on 198.51.100.21');
  // One step at a time, as a person who listens to each announcement does.
  await page.keyboard.press('ArrowDown');
  await expect(page.locator('#dnd-live')).toContainText('position 2 of 3');
  await page.keyboard.press('ArrowDown');
  await expect(page.locator('#dnd-live')).toContainText('position 3 of 3');
  await expect(handle(3001)).toBeFocused();
  // The drop saves, then the page refetches; the next steps start once that has landed.
  const refetched = page.waitForResponse((r) => r.url().includes('/api/ports_page'));
  await page.keyboard.press('Space');
  await expect.poll(() => order(request, '198.51.100.21')).toEqual([3002, 3003, 3001]);
  await refetched;

  // Esc puts it back and saves nothing.
  await handle(3002).focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('ArrowDown');
  expect(await shown(page, '198.51.100.21')).toEqual([3003, 3002, 3001]);
  await page.keyboard.press('Escape');
  await expect(page.locator('#dnd-live')).toContainText('Move cancelled');
  expect(await shown(page, '198.51.100.21')).toEqual([3002, 3003, 3001]);
  expect(await order(request, '198.51.100.21')).toEqual([3002, 3003, 3001]);

  // Right: to the next panel. Where that is depends on the panels' order; find it.
  const hosts = await page.locator('.host-panel').evaluateAll((p) => p.map((e) => e.getAttribute('data-host')));
  const key = hosts.indexOf('198.51.100.22') > hosts.indexOf('198.51.100.21') ? 'ArrowRight' : 'ArrowLeft';
  const steps = Math.abs(hosts.indexOf('198.51.100.22') - hosts.indexOf('198.51.100.21'));
  await handle(3003).focus();
  await page.keyboard.press('Enter');
  for (let s = 0; s < steps; s++) await page.keyboard.press(key);
  await expect(page.locator('#dnd-live')).toContainText('on 198.51.100.22');
  await page.keyboard.press('Space');
  await expect(panel(page, '198.51.100.22').locator('.port-row[data-port="3003"]')).toBeVisible();
  expect(await order(request, '198.51.100.22')).toEqual([4001, 3003]);
});

test('keyboard: a panel moves among panels with its own handle', async ({ page, request }) => {
  await seed(request, '198.51.100.26', [3101]);
  await seed(request, '198.51.100.27', [3201]);
  await first(request, '198.51.100.26', '198.51.100.27');
  await page.goto('/');
  await hydrated(page);
  const handle = page.locator('.host-panel[data-host="198.51.100.27"] .host-handle');
  await handle.focus();
  await page.keyboard.press('Space');
  await expect(page.locator('#dnd-live')).toContainText('Picked up, host 2 of');
  await page.keyboard.press('ArrowUp');
  await expect(page.locator('#dnd-live')).toContainText('host 1 of');
  await expect(handle).toBeFocused();
  await page.keyboard.press('Space');
  await expect
    .poll(async () => ((await (await request.get('/api/hosts')).json()) as any[]).slice(0, 2).map((h) => h.address))
    .toEqual(['198.51.100.27', '198.51.100.26']);
});

test('touch: a finger drags a port to a new place', async ({ browser, baseURL, request }) => {
  await seed(request, '198.51.100.31', [5001, 5002, 5003]);
  await first(request, '198.51.100.31');
  const context = await browser.newContext({ baseURL, hasTouch: true, isMobile: true, viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  await page.goto('/');
  await hydrated(page);
  const a = panel(page, '198.51.100.31');
  await a.scrollIntoViewIfNeeded();
  const from = (await a.locator('.port-row[data-port="5003"] .drag-handle').boundingBox())!;
  const to = (await a.locator('.port-row[data-port="5001"]').boundingBox())!;
  const cdp = await context.newCDPSession(page);
  const point = (x: number, y: number) => [{ x: Math.round(x), y: Math.round(y), id: 1 }];
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: point(from.x + from.width / 2, from.y + from.height / 2) });
  for (let s = 1; s <= 8; s++) {
    const y = from.y + from.height / 2 + ((to.y + to.height * 0.3 - (from.y + from.height / 2)) * s) / 8;
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: point(from.x + from.width / 2, y) });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await expect.poll(() => order(request, '198.51.100.31')).toEqual([5003, 5001, 5002]);
  await context.close();
});

test('moving onto a taken number: cancel, renumber the moving port, or renumber the existing one', async ({ page, request }) => {
  const [moving] = await seed(request, '198.51.100.41', [6000, 6100]);
  await seed(request, '198.51.100.42', [6000, 6001]);
  await first(request, '198.51.100.41', '198.51.100.42');
  await page.goto('/');
  await hydrated(page);
  const drag = async () =>
    mouseDrag(page, panel(page, '198.51.100.41').locator('.port-row[data-port="6000"] .drag-handle'), panel(page, '198.51.100.42').locator('.port-list'), 0.9);

  await drag();
  const dialog = page.locator('#conflictModal');
  await expect(dialog).toBeVisible();
  await expect(page.locator('#conflict-message')).toContainText("198.51.100.42 already has 6000/TCP ('svc 6000', manual)");
  await expect(page.locator('#conflict-moving-number')).toHaveValue('6002'); // 6001 is taken too
  await page.locator('#conflict-cancel-btn').click();
  await expect(dialog).toBeHidden();
  expect(await order(request, '198.51.100.41')).toEqual([6000, 6100]);
  expect(await shown(page, '198.51.100.41')).toEqual([6000, 6100]);

  await drag();
  await page.locator('#conflict-moving-number').fill('6050');
  await page.locator('#conflict-renumber-moving-btn').click();
  await expect(panel(page, '198.51.100.42').locator('.port-row[data-port="6050"]')).toBeVisible();
  expect((await ports(request)).find((p) => p.id === moving).ip_address).toBe('198.51.100.42');

  // Back, then the other way out: the existing entry takes the suggested number.
  const res = await request.post(`/api/ports/${moving}/move`, { data: { ip_address: '198.51.100.41', port_number: 6000 } });
  expect(res.status()).toBe(200);
  await page.reload();
  await hydrated(page);
  await drag();
  await expect(page.locator('#conflict-existing-number')).toHaveValue('6002');
  await page.locator('#conflict-renumber-existing-btn').click();
  await expect(panel(page, '198.51.100.42').locator('.port-row[data-port="6002"]')).toBeVisible();
  await expect(panel(page, '198.51.100.42').locator('.port-row[data-port="6000"]')).toHaveCount(1);
  expect((await order(request, '198.51.100.42')).sort()).toEqual([6000, 6001, 6002]);
});

test('sort buttons save the panel order; again reverses', async ({ page, request }) => {
  await request.post('/api/ports', { data: { ip_address: '198.51.100.51', port_number: 7002, description: 'beta' } });
  await request.post('/api/ports', { data: { ip_address: '198.51.100.51', port_number: 7001, port_protocol: 'UDP', description: 'Alpha' } });
  await request.post('/api/ports', { data: { ip_address: '198.51.100.51', port_number: 7003, description: 'gamma' } });
  await page.goto('/');
  await hydrated(page);
  const p = panel(page, '198.51.100.51');
  await p.locator('.sort-btn[data-sort="number"]').click();
  await expect.poll(() => order(request, '198.51.100.51')).toEqual([7001, 7002, 7003]);
  await p.locator('.sort-btn[data-sort="number"]').click();
  await expect.poll(() => order(request, '198.51.100.51')).toEqual([7003, 7002, 7001]);
  await p.locator('.sort-btn[data-sort="protocol"]').click();
  await expect.poll(() => order(request, '198.51.100.51')).toEqual([7002, 7003, 7001]);
  await p.locator('.sort-btn[data-sort="description"]').click();
  await expect.poll(() => order(request, '198.51.100.51')).toEqual([7001, 7002, 7003]);
  await expect.poll(() => shown(page, '198.51.100.51')).toEqual([7001, 7002, 7003]);
});

test('hosts: add an empty one, edit (manual entries move, merge asks first), delete keeps nothing manual', async ({ page, request }) => {
  await page.goto('/');
  await hydrated(page);
  await page.locator('#add-host-btn').click();
  await expect(page.locator('#host-address')).toBeFocused();
  await page.locator('#host-address').fill('198.51.100.61:8080');
  await page.locator('#host-save-btn').click();
  await expect(page.locator('#host-address-error')).toContainText('enter the address only (198.51.100.61)');
  await page.locator('#host-address').fill('198.51.100.61');
  await page.locator('#host-nickname').fill('Büro-Server');
  await page.locator('#host-save-btn').click();
  await expect(page.locator('#hostModal')).toBeHidden();
  const empty = panel(page, '198.51.100.61');
  await expect(empty.locator('.empty-host')).toBeVisible();
  await expect(empty.locator('.host-nickname')).toHaveText('Büro-Server');
  await page.reload();
  await expect(empty).toBeVisible();

  await seed(request, '198.51.100.62', [8001, 8002], 'old');
  await seed(request, '198.51.100.63', [8003]);
  await page.reload();
  await hydrated(page);
  await panel(page, '198.51.100.62').locator('.edit-host-btn').click();
  await page.locator('#host-address').fill('198.51.100.63');
  await page.locator('#host-save-btn').click();
  await expect(page.locator('#host-merge-confirm')).toContainText('198.51.100.63 is already a host');
  await page.locator('#host-save-btn').click();
  await expect(panel(page, '198.51.100.62')).toHaveCount(0);
  await expect.poll(() => order(request, '198.51.100.63')).toEqual([8003, 8001, 8002]);

  await panel(page, '198.51.100.63').locator('.delete-host-btn').click();
  await expect(page.locator('#host-delete-summary')).toContainText('Delete 3 manual entries and 0 stale entries of 198.51.100.63?');
  await page.locator('#host-save-btn').click();
  await expect(panel(page, '198.51.100.63')).toHaveCount(0);
  await expect(page.locator('#ports-notice')).toContainText('Deleted 3 entries of 198.51.100.63');
});

test('port dialog: Generate fills a free number; a preset bumps past a taken one', async ({ page, request }) => {
  await request.post('/api/ports', { data: { ip_address: '198.51.100.71', port_number: 8096, description: 'taken' } });
  await page.goto('/');
  await hydrated(page);
  await panel(page, '198.51.100.71').locator('.add-host-port-btn').click();
  await page.locator('#port-generate-btn').click();
  await expect(page.locator('#port-number-note')).toContainText('free on 198.51.100.71');
  const generated = Number(await page.locator('#port-number').inputValue());
  expect(generated).toBeGreaterThanOrEqual(1024);
  expect(generated).toBeLessThanOrEqual(9999);

  await page.locator('#port-preset').fill('jellyf');
  await expect(page.locator('#preset-list .preset-option').first()).toContainText('Jellyfin');
  await page.keyboard.press('Enter');
  await expect(page.locator('#port-description')).toHaveValue('Jellyfin');
  await expect(page.locator('#port-number')).toHaveValue('8097');
  await expect(page.locator('#port-number-note')).toContainText('Port changed from 8096 to 8097 (8096 already in use on 198.51.100.71)');
  await page.locator('#save-port-btn').click();
  await expect(panel(page, '198.51.100.71').locator('.port-row[data-port="8097"]')).toContainText('Jellyfin');
});

test('Settings → Ports validates inline; the New page preselects the default host, saves a port, copies it', async ({ page, request, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/settings?tab=general');
  await hydrated(page);
  await page.locator('#port-exclude').fill('8000-80x');
  await page.locator('#default-ip').fill('198.51.100.81');
  await page.locator('#save-port-settings-btn').click();
  await expect(page.locator('#port-exclude-error')).toContainText("'8000-80x' is not a port");
  await page.locator('#port-exclude').fill('9000-9010 , 22');
  await page.locator('#save-port-settings-btn').click();
  await expect(page.locator('#port-settings-saved')).toHaveText('Saved');
  await expect(page.locator('#port-exclude')).toHaveValue('9000-9010, 22');
  expect((await (await request.get('/api/settings/ports')).json()).default_ip).toBe('198.51.100.81');

  await page.goto('/new');
  await hydrated(page);
  await expect(page.locator('#new-ip')).toHaveValue('198.51.100.81');
  await page.locator('#generate-btn').click();
  await expect(page.locator('#new-description-error')).toContainText('is required');
  await page.locator('#new-description').fill('Paperless');
  await page.locator('#generate-btn').click();
  await expect(page.locator('#generated-url')).toHaveText(/^http:\/\/198\.51\.100\.81:\d{4}$/);
  const url = await page.locator('#generated-url').textContent();
  const port = Number(url!.split(':').pop());
  const saved = (await ports(request)).find((p) => p.ip_address === '198.51.100.81');
  expect([saved.port_number, saved.description, saved.source]).toEqual([port, 'Paperless', 'manual']);
  await page.locator('#copy-btn').click();
  await expect(page.locator('#copy-btn')).toContainText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(String(port));
  // The Ports page's old address leads here.
  await page.goto('/ports');
  await expect(page).toHaveURL(/\/$/);
  await request.put('/api/settings/ports', { data: { default_ip: '', port_exclude: '' } });
});

test('compact layout: one line per entry, remembered; icons are SVG, not emoji', async ({ page, request }) => {
  const many = Array.from({ length: 40 }, (_, i) => 9100 + i);
  await seed(request, '198.51.100.91', many);
  await first(request, '198.51.100.91');
  await page.goto('/');
  await hydrated(page);
  await page.locator('#density-btn').click();
  await expect(page.locator('#density-btn')).toHaveAttribute('aria-pressed', 'true');
  const box = (await panel(page, '198.51.100.91').boundingBox())!;
  expect(box.height, 'a host of 40 entries fits one 1280×800 screen').toBeLessThan(700);
  await page.reload();
  await hydrated(page);
  await expect(page.locator('#density-btn')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('#host-panels')).toHaveClass(/compact/);
  const emoji = await page.locator('#host-panels').evaluate((e) => /[\u{1F300}-\u{1FAFF}\u{2700}-\u{27BF}]/u.test(e.textContent ?? ''));
  expect(emoji).toBe(false);
  const dir = path.join(__dirname, '..', 'artifacts');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, 'ports-compact-1280.png') });
  await page.locator('#density-btn').click();
});

test('long panels show their first entries and the rest on demand; the filter works without JavaScript', async ({ page, browser, baseURL, request }) => {
  const many = Array.from({ length: 30 }, (_, i) => 9300 + i);
  await seed(request, '198.51.100.95', many);
  await first(request, '198.51.100.95');
  await page.goto('/');
  await hydrated(page);
  const p = panel(page, '198.51.100.95');
  await expect(p.locator('.port-row')).toHaveCount(24);
  await p.locator('.show-all-btn').click();
  await expect(p.locator('.port-row')).toHaveCount(30);
  // The server filters: an entry past the first page is found, and the free/in-use answer covers all.
  await page.locator('#port-filter').fill('9329');
  await expect(page.locator('#port-availability')).toContainText('Port 9329 is in use on 198.51.100.95');
  await expect(page.locator('.port-row')).toHaveCount(1);

  const context = await browser.newContext({ javaScriptEnabled: false, baseURL });
  const plain = await context.newPage();
  await plain.goto('/');
  await plain.locator('#port-filter').fill('svc 9328');
  await plain.locator('#port-filter').press('Enter');
  await expect(plain).toHaveURL(/\?q=svc\+9328/);
  await expect(plain.locator('.port-row')).toHaveCount(1);
  await plain.goto('/');
  await plain.locator('.host-panel[data-host="198.51.100.95"] .show-all-btn').click();
  await expect(plain.locator('.host-panel[data-host="198.51.100.95"] .port-row')).toHaveCount(30);
  await context.close();
});
