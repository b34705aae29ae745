/*
 * Browser end-to-end tests of the running portal (scripts/e2e.sh starts the
 * demo stack and the portal, then runs these). Chromium is Debian's
 * (/usr/bin/chromium, or CHROMIUM_PATH): nothing is downloaded.
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'packages/app/e2e-tests',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  forbidOnly: !!process.env.CI,
  // The dev server compiles lazily and the demo stack is shared: one at a time.
  workers: 1,
  fullyParallel: false,
  retries: process.env.CI ? 1 : 0,
  reporter: [['list'], ['json', { outputFile: 'e2e-results/results.json' }]],
  use: {
    baseURL: process.env.PLAYWRIGHT_URL ?? 'http://localhost:3000',
    viewport: { width: 1400, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    },
  },
  outputDir: 'e2e-results/artifacts',
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
});
