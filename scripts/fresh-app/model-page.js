#!/usr/bin/env node
/*
 * scripts/fresh-app.sh's browser check: the demo fraud detector's Model page
 * in the fresh app, opened in Debian's Chromium as the guest, must show the
 * ML cards with the demo stack's data: Health judged "failing" (the demo's
 * drift), the Versions card listing the registry's versions, Lineage linking
 * the training pipeline. Exits non-zero, naming what is missing.
 *
 * Usage: model-page.js <base URL> <screenshot.png>
 * CHROMIUM_PATH overrides /usr/bin/chromium.
 */
const { chromium } = require('playwright-core');

const [baseUrl, screenshot] = process.argv.slice(2);
if (!baseUrl || !screenshot) {
  console.error('usage: model-page.js <base URL> <screenshot.png>');
  process.exit(2);
}

async function expectVisible(locator, what, timeout = 90_000) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout });
    console.log(`  seen: ${what}`);
  } catch {
    throw new Error(`not seen within ${timeout / 1000} s: ${what}`);
  }
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const page = await browser.newPage({
    viewport: { width: 1400, height: 900 },
  });
  const started = Date.now();
  try {
    await page.goto(`${baseUrl}/catalog/default/model/fraud-detector`);
    // create-app's sign-in page offers the guest: click Enter until it is gone
    // (the button can render before it is wired up).
    const enter = page.getByRole('button', { name: 'Enter' });
    await enter.waitFor({ timeout: 60_000 });
    for (
      let i = 0;
      i < 15 && (await enter.isVisible().catch(() => false));
      i++
    ) {
      await enter.click().catch(() => undefined);
      await page.waitForTimeout(1000);
    }
    await expectVisible(page.getByText('Fraud detector'), 'the Model page');
    // A card (MUI Card) whose header starts with `title`.
    const card = title =>
      page.locator('.MuiCard-root').filter({
        has: page.locator('.MuiCardHeader-root', {
          hasText: new RegExp(`^${title}`),
        }),
      });
    await expectVisible(
      card('Health').getByTestId('verdict-failing'),
      'Health card: verdict failing (the demo drift)',
    );
    await expectVisible(
      card('Versions').getByRole('cell', { name: 'v3', exact: true }),
      'Versions card: v3 from the demo OCI registry',
    );
    await expectVisible(
      card('Lineage').getByRole('link', { name: 'fraud-detector-training' }),
      'Lineage card: the training Pipeline',
    );
    console.log(`  rendered with data in ${Date.now() - started} ms`);
    await page.screenshot({ path: screenshot, fullPage: true });
  } catch (e) {
    await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
    console.error(`  ${e.message} (screenshot: ${screenshot})`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
})();
