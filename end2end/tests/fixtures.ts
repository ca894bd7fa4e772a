// Shared fixtures: the server address from global-setup, and a check that no page logs a console error.
import { test as base, expect, Page } from '@playwright/test';

export const test = base.extend<{ consoleErrors: string[] }>({
  baseURL: async ({}, use) => {
    const url = process.env.PORTALL_BASE_URL;
    if (!url) throw new Error('PORTALL_BASE_URL is not set: global-setup did not run');
    await use(url);
  },
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        // A page the test deliberately loads as a 404 is reported by chromium as a failed resource.
        const expected404 =
          msg.text().includes('status of 404') && msg.location().url === page.url() && expectedNotFound.has(page.url());
        if (!expected404) errors.push(`${msg.text()} (${msg.location().url})`);
      });
      page.on('pageerror', (err) => errors.push(String(err)));
      await use(errors);
      expect(errors, 'console errors on the page').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Document URLs a test loads expecting HTTP 404 (chromium logs those as console errors). */
export const expectedNotFound = new Set<string>();

/** Waits until the WASM has hydrated the server-rendered page. */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}
