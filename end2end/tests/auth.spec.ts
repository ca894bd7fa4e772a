// Signing in, as a person does it: first-run setup with the keyboard, a wrong password, sign out,
// the way back to the page asked for, an API token created and revoked, and the login page without
// JavaScript. Runs its own portall with PORTALL_AUTH=password (the shared one has sign-in off).
import { Page } from '@playwright/test';
import { test, expect, hydrated } from './fixtures';
import { startPortall, Running } from '../portall';

const PASSWORD = 'correct horse battery';
let server: Running;

test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  server = await startPortall({ PORTALL_AUTH: 'password' });
});
test.afterAll(async () => {
  await server.stop();
});

async function signIn(page: Page, next = '/'): Promise<void> {
  await page.goto(`${server.url}${next}`);
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.locator('#login-username').fill('admin');
  await page.locator('#login-password').fill(PASSWORD);
  await page.locator('#login-submit').click();
  await expect(page).toHaveURL(`${server.url}${next}`);
}

test('first run: every page leads to setup, and the account is made with the keyboard', async ({ page }) => {
  await page.goto(`${server.url}/settings`);
  await expect(page).toHaveURL(`${server.url}/setup`);
  await hydrated(page);
  await expect(page.locator('#setup-username')).toBeFocused();
  await page.keyboard.type('admin');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Tab');
  await page.keyboard.type('correct horse batterY');
  await page.keyboard.press('Enter');
  await expect(page.locator('#setup-error')).toContainText('does not match the password');
  await expect(page.locator('#setup-username')).toHaveValue('admin');
  await page.locator('#setup-password').fill(PASSWORD);
  await page.locator('#setup-confirm').fill(PASSWORD);
  await page.locator('#setup-confirm').press('Enter');
  await expect(page).toHaveURL(`${server.url}/`);
  await expect(page.locator('#nav-user')).toHaveText('admin');
  // Setup is over: the page leads to sign-in from now on.
  const again = await page.request.get(`${server.url}/api/auth/status`);
  expect((await again.json()).setup_required).toBe(false);
});

test('a wrong password is named; signing in returns to the page asked for; sign out', async ({ page }) => {
  await page.goto(`${server.url}/settings`);
  await expect(page).toHaveURL(`${server.url}/login?next=%2Fsettings`);
  await hydrated(page);
  await page.locator('#login-username').fill('admin');
  await page.locator('#login-password').fill('not the password');
  await page.locator('#login-password').press('Enter');
  await expect(page.locator('#login-error')).toHaveText('Wrong username or password.');
  await expect(page.locator('#login-username')).toHaveValue('admin');
  await expect(page.locator('#login-password')).toBeFocused();
  await page.locator('#login-password').fill(PASSWORD);
  await page.locator('#login-submit').click();
  await expect(page).toHaveURL(`${server.url}/settings`);
  await hydrated(page);
  await expect(page.locator('#nav-user')).toHaveText('admin');

  await page.locator('#nav-logout').click();
  await expect(page).toHaveURL(`${server.url}/login`);
  await page.goto(`${server.url}/`);
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
});

test('an API token is shown once, works for scripts, and stops at once when revoked', async ({ page, playwright }) => {
  await signIn(page, '/settings?tab=account');
  await hydrated(page);
  await page.locator('#token-name').fill('e2e script');
  await page.locator('#token-name').press('Enter');
  const value = page.locator('#token-value');
  await expect(value).toHaveValue(/^ptl_[0-9a-f]{64}$/);
  const token = await value.inputValue();
  await expect(page.locator('#tokens-table tbody tr')).toHaveCount(1);
  await expect(page.locator('#tokens-table')).toContainText('e2e script');
  await expect(page.locator('#tokens-table')).not.toContainText(token);

  const script = await playwright.request.newContext({ extraHTTPHeaders: { Authorization: `Bearer ${token}` } });
  expect((await script.get(`${server.url}/api/ports`)).status()).toBe(200);

  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Revoke token e2e script' }).click();
  await expect(page.locator('#tokens-empty')).toBeVisible();
  expect((await script.get(`${server.url}/api/ports`)).status()).toBe(401);
  await script.dispose();

  // A reload shows the token no more.
  await page.reload();
  await expect(page.locator('#token-value')).toHaveCount(0);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the login form works and the pages render', async ({ page }) => {
    await page.goto(`${server.url}/`);
    await expect(page).toHaveURL(/\/login/);
    await page.locator('#login-username').fill('admin');
    await page.locator('#login-password').fill(PASSWORD);
    await page.locator('#login-submit').click();
    await expect(page).toHaveURL(`${server.url}/`);
    await expect(page.locator('#nav-user')).toHaveText('admin');
    await page.locator('#nav-logout').click();
    await expect(page).toHaveURL(`${server.url}/login`);
  });
});

test('at 360 px the login page fits and signs in by touch', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(360);
  await page.locator('#login-username').fill('admin');
  await page.locator('#login-password').fill(PASSWORD);
  await page.locator('#login-submit').tap();
  await expect(page).toHaveURL(`${server.url}/`);
  await context.close();
});
