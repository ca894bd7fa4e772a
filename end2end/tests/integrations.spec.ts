// Settings → Docker Integration: the modal, the blocks, scanning, validation, edit/disable/delete.
import { test, expect, hydrated } from './fixtures';
import { Containers, createInstance, fakePortainer, freePort, instances, ports } from './helpers';

const containers = new Containers();
test.afterAll(() => containers.removeAll());

test('add a Docker instance through the modal, scan it, see its ports', async ({ page, request }) => {
  const hostPort = await freePort();
  const name = containers.run('web', [`${hostPort}:80`]);
  await page.goto('/settings');
  await hydrated(page);

  await page.locator('#add-docker-instance-btn').click();
  const modal = page.locator('#dockerInstanceModal');
  await expect(modal).toBeVisible();
  await page.locator('label[for="type-docker"]').click();
  await page.locator('#instance-next-btn').click();
  await expect(page.locator('#instance-name')).toBeFocused();
  await page.locator('#instance-name').fill('E2E Engine');
  await page.locator('#instance-auto-detect').uncheck();
  await expect(page.locator('#docker-host')).toHaveValue('unix:///var/run/docker.sock');
  await page.locator('#docker-public-host').fill('192.0.2.77');
  await page.locator('#test-connection-btn').click();
  await expect(page.locator('#test-connection-result')).toContainText(/Connected: Docker \d+\.\d+/);
  await page.locator('#save-instance-btn').click();
  await expect(modal).toBeHidden();

  const block = page.locator('.docker-instance-block', { has: page.locator('.instance-name', { hasText: 'E2E Engine' }) });
  await expect(block).toBeVisible();
  await expect(block.locator('.status-text')).toHaveText('Never scanned');
  await expect(block.locator('.auto-scan')).toHaveText('off');
  await block.locator('.scan-instance-btn').click();
  await expect(block.locator('.scan-result')).toContainText(/\d+ containers?, \d+ ports?/);
  await expect(block.locator('.status-text')).toHaveText('OK');
  await expect(block.locator('.last-scan')).toContainText('just now');

  await page.locator('#nav-ports').click();
  const panel = page.locator('.host-panel[data-host="192.0.2.77"]');
  await expect(panel.locator(`.port-row[data-port="${hostPort}"]`)).toContainText(`${name} (80/tcp)`);
  await expect(panel.locator(`.port-row[data-port="${hostPort}"] .badge-docker`)).toContainText('E2E Engine');
  expect((await ports(request)).some((p) => p.port_number === hostPort && p.ip_address === '192.0.2.77')).toBe(true);
});

test('invalid input shows inline errors and saves nothing; a wrong Portainer key is named', async ({ page, request }) => {
  await createInstance(request, { type: 'docker', name: 'Taken Name', auto_detect: false });
  const before = await instances(request);
  await page.goto('/settings');
  await hydrated(page);
  await page.locator('#add-docker-instance-btn').click();
  await page.locator('label[for="type-docker"]').click();
  await page.locator('#instance-next-btn').click();
  await page.locator('#instance-name').fill('taken name');
  await page.locator('#instance-scan-interval').fill('10');
  await page.locator('#docker-host').fill('ftp://x');
  await page.locator('#save-instance-btn').click();
  await expect(page.locator('#instance-name-error')).toContainText("already named 'taken name'");
  await expect(page.locator('#instance-scan-interval-error')).toContainText('between 60 and 86400');
  await expect(page.locator('#docker-host-error')).toContainText('not a Docker address');
  await expect(page.locator('#instance-name')).toBeFocused();
  await expect(page.locator('#instance-name')).toHaveAttribute('aria-invalid', 'true');
  expect(await instances(request)).toEqual(before);

  const portainer = await fakePortainer('right-key');
  try {
    await page.locator('#instance-back-btn').click();
    await page.locator('label[for="type-portainer"]').click();
    await page.locator('#instance-next-btn').click();
    await page.locator('#portainer-url').fill(portainer.url);
    await page.locator('#portainer-api-key').fill('wrong-key');
    await page.locator('#test-connection-btn').click();
    await expect(page.locator('#test-connection-result')).toContainText('API key rejected');
  } finally {
    portainer.close();
  }
  await page.keyboard.press('Escape');
  await expect(page.locator('#dockerInstanceModal')).toBeHidden();
  expect(await instances(request)).toEqual(before);
});

test('edit the interval, disable, delete: the block and its entries go, manual ports stay', async ({ page, request }) => {
  const hostPort = await freePort();
  containers.run('api', [`${hostPort}:8080`]);
  const inst = await createInstance(request, {
    type: 'docker', name: 'Short Lived', auto_detect: true, scan_interval: 300, config: { public_host: '192.0.2.88' },
  });
  await request.post('/api/ports', { data: { ip_address: '192.0.2.88', port_number: 22, description: 'SSH (manual)' } });
  await request.post(`/docker/instances/${inst.id}/scan`);
  await page.goto('/settings');
  await hydrated(page);
  const block = page.locator(`.docker-instance-block[data-instance-id="${inst.id}"]`);
  await expect(block.locator('.auto-scan')).toHaveText('every 5 minutes');

  await block.locator('.edit-instance-btn').click();
  await expect(page.locator('#instance-name')).toHaveValue('Short Lived');
  await expect(page.locator('#instance-back-btn')).toBeHidden();
  await page.locator('#instance-scan-interval').fill('600');
  await page.locator('#save-instance-btn').click();
  await expect(block.locator('.auto-scan')).toHaveText('every 10 minutes');
  await expect(block.locator('.edit-instance-btn')).toBeFocused();

  await block.locator('.edit-instance-btn').click();
  await page.locator('#instance-enabled').uncheck();
  await page.locator('#save-instance-btn').click();
  await expect(block.locator('.status-text')).toHaveText('Disabled');
  await expect(block.locator('.scan-instance-btn')).toBeDisabled();

  await block.locator('.delete-instance-btn').click();
  await expect(page.locator('#confirm-delete-title')).toHaveText("Delete 'Short Lived'?");
  await expect(page.locator('#confirm-delete-text')).toContainText(/\d+ discovered ports? go(es)? with it/);
  await page.locator('#confirm-delete-btn').click();
  await expect(block).toHaveCount(0);
  const left = await ports(request);
  expect(left.some((p) => p.port_number === hostPort)).toBe(false);
  expect(left.some((p) => p.ip_address === '192.0.2.88' && p.description === 'SSH (manual)')).toBe(true);
});

test('keyboard only: open, choose, fill, save; Esc and focus return', async ({ page, request }) => {
  await page.goto('/settings');
  await hydrated(page);
  await page.locator('#add-docker-instance-btn').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#type-docker')).toBeFocused();
  await page.keyboard.press('Space');
  await page.keyboard.press('Enter');
  await expect(page.locator('#instance-name')).toBeFocused();
  await page.keyboard.type('Keyboard Engine');
  // Tab stays inside the dialog.
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => !!document.activeElement?.closest('#dockerInstanceModal'))).toBe(true);
  }
  await page.locator('#instance-name').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#dockerInstanceModal')).toBeHidden();
  await expect(page.locator('.instance-name', { hasText: 'Keyboard Engine' })).toBeVisible();
  await expect(page.locator('#add-docker-instance-btn')).toBeFocused();
  expect((await instances(request)).some((i) => i.name === 'Keyboard Engine')).toBe(true);

  await page.keyboard.press('Enter');
  await expect(page.locator('#dockerInstanceModal')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.locator('#dockerInstanceModal')).toBeHidden();
  await expect(page.locator('#add-docker-instance-btn')).toBeFocused();
});

test('a new address asks for the stored key again before it is saved', async ({ page, request }) => {
  const portainer = await fakePortainer('ptr_e2e_key');
  const inst = await createInstance(request, {
    type: 'portainer', name: 'Keyed', enabled: false, config: { url: portainer.url, api_key: 'ptr_e2e_key' },
  });
  try {
    await page.goto('/settings');
    await hydrated(page);
    const block = page.locator(`.docker-instance-block[data-instance-id="${inst.id}"]`);
    await block.locator('.edit-instance-btn').click();
    const key = page.locator('#portainer-api-key');
    await expect(key).toHaveAttribute('placeholder', 'saved — leave blank to keep');
    await page.locator('#portainer-url').fill('http://127.0.0.1:9');
    await expect(key).toHaveAttribute('placeholder', 'new address — enter it again');
    await page.locator('#save-instance-btn').click();
    await expect(page.locator('#portainer-api-key-error')).toContainText('enter it again for the new address');
    await expect(key).toBeFocused();
    let stored = (await instances(request)).find((i) => i.id === inst.id);
    expect(stored.config.url).toBe(portainer.url);

    await key.fill('ptr_new_key');
    await page.locator('#save-instance-btn').click();
    await expect(block.locator('.edit-instance-btn')).toBeFocused();
    stored = (await instances(request)).find((i) => i.id === inst.id);
    expect(stored.config.url).toBe('http://127.0.0.1:9');
    expect(stored.config.api_key_set).toBe(true);
  } finally {
    portainer.close();
    await request.delete(`/docker/instances/${inst.id}`);
  }
});

test('a live update redraws a block in place: the focus stays where it was', async ({ page, request }) => {
  const inst = await createInstance(request, {
    type: 'docker', name: 'Stays Put', auto_detect: true, scan_interval: 300, config: { public_host: '192.0.2.79' },
  });
  await page.goto('/settings');
  await hydrated(page);
  const block = page.locator(`.docker-instance-block[data-instance-id="${inst.id}"]`);
  await expect(block.locator('.last-scan')).toHaveText('Never');
  await block.locator('.edit-instance-btn').focus();
  // A scan started elsewhere (a script, another tab) reaches this page as a live event.
  await request.post(`/docker/instances/${inst.id}/scan`);
  await expect(block.locator('.last-scan')).not.toHaveText('Never');
  await expect(block.locator('.edit-instance-btn')).toBeFocused();
});
