// An upgraded Python Portall database shows the hosts and ports in the order its user left them:
// server-rendered, and still so after hydration (and after a drag saved in the new schema).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, expect, hydrated } from './fixtures';
import { repoRoot, startPortall, Running } from '../portall';

let server: Running;

test.beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portall-legacy-e2e-'));
  const db = path.join(dir, 'portall.db');
  // The legacy schema as upstream made it, with upstream's order scheme: panel index × 1000 + place.
  const script = `
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.executescript(open(sys.argv[2]).read())
rows = [
  ("192.168.1.50", "zeta-box", 443, "TCP", "Caddy", 10),
  ("192.168.1.50", "zeta-box", 80, "TCP", "Caddy (HTTP)", 11),
  ("10.0.0.2", "alpha", 9000, "TCP", "Portainer", 1000),
  ("10.0.0.2", "alpha", 22, "TCP", "SSH — Wartung", 1001),
  ("10.0.0.2", "alpha", 53, "UDP", "DNS", 1002),
]
for i, (ip, nick, n, proto, desc, order) in enumerate(rows):
    conn.execute('INSERT INTO port (id, ip_address, nickname, port_number, port_protocol, description, "order", source, is_immutable) VALUES (?,?,?,?,?,?,?,?,0)',
                 (i + 1, ip, nick, n, proto, desc, order, "manual"))
conn.execute("INSERT INTO setting (\\"key\\", value) VALUES ('port_start', '1024')")
conn.commit()
`;
  execFileSync('python3', ['-c', script, db, path.join(repoRoot, 'server/tests/fixtures/legacy-portall-schema.sql')]);
  server = await startPortall({ PORTALL_AUTH: 'none', DATABASE_URL: `sqlite://${db}` });
});

test.afterAll(async () => {
  await server?.stop();
});

const hosts = (page: import('@playwright/test').Page) =>
  page.locator('.host-panel').evaluateAll((p) => p.map((e) => e.getAttribute('data-host')));
const rows = (page: import('@playwright/test').Page, host: string) =>
  page.locator(`.host-panel[data-host="${host}"] .port-row`).evaluateAll((r) => r.map((e) => Number(e.getAttribute('data-port'))));

test('the upgraded order, server-rendered and hydrated', async ({ page, browser }) => {
  const plain = await browser.newContext({ javaScriptEnabled: false });
  const p = await plain.newPage();
  await p.goto(server.url);
  expect(await hosts(p)).toEqual(['192.168.1.50', '10.0.0.2']);
  expect(await rows(p, '10.0.0.2')).toEqual([9000, 22, 53]);
  await plain.close();

  await page.goto(server.url);
  await hydrated(page);
  expect(await hosts(page)).toEqual(['192.168.1.50', '10.0.0.2']);
  expect(await rows(page, '192.168.1.50')).toEqual([443, 80]);
  expect(await rows(page, '10.0.0.2')).toEqual([9000, 22, 53]);
  // Move SSH to the top with the keyboard; the new order survives a reload.
  await page.locator('.port-row[data-port="22"] .drag-handle').focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Space');
  await expect.poll(() => rows(page, '10.0.0.2')).toEqual([22, 9000, 53]);
  await page.reload();
  await hydrated(page);
  await expect.poll(() => rows(page, '10.0.0.2')).toEqual([22, 9000, 53]);
  expect(await hosts(page)).toEqual(['192.168.1.50', '10.0.0.2']);
});
