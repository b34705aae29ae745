#!/usr/bin/env node
// Takes README screenshots of a running portal (scripts/start.sh) with
// Debian's Chromium: signs in as guest, opens each page, waits for its text.
//
//   node scripts/screenshot.js [baseUrl]   (default http://localhost:3000)
const { chromium } = require('playwright-core');
const path = require('node:path');

const baseUrl = process.argv[2] ?? 'http://localhost:3000';
const shots = [
  { path: '/ml', waitFor: 'Endpoints', file: 'ml-page.png', fullPage: true },
  {
    path: '/ml/quotas',
    waitFor: 'Language',
    file: 'gpu-quotas.png',
    fullPage: true,
  },
  { path: '/ml/notebooks', waitFor: 'guest-nb', file: 'my-notebooks.png' },
  {
    path: '/?filters%5Bkind%5D=model&filters%5Buser%5D=all',
    waitFor: 'Fraud detector',
    file: 'catalog-models.png',
  },
  {
    path: '/catalog/default/model/fraud-detector',
    waitFor: 'Latency',
    file: 'model-page.png',
    fullPage: true,
  },
  {
    path: '/catalog/default/dataset/fraud-features',
    waitFor: 'Lineage',
    file: 'dataset-page.png',
    fullPage: true,
  },
  {
    path: '/catalog/default/pipeline/fraud-detector-training',
    waitFor: 'Lineage',
    file: 'pipeline-page.png',
    fullPage: true,
  },
  {
    path: '/catalog/default/gpuquota/fraud-gpu-quota',
    waitFor: 'GPU usage',
    file: 'gpuquota-page.png',
    fullPage: true,
  },
];

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    for (const shot of shots) {
      const page = await browser.newPage({
        viewport: { width: 1400, height: 860 },
      });
      // Each full page load starts at the sign-in page: enter as guest. The
      // button can render before it is wired up, so click until it is gone.
      await page.goto(`${baseUrl}${shot.path}`);
      const enter = page.getByRole('button', { name: 'Enter' });
      await enter.waitFor({ timeout: 30_000 });
      for (
        let i = 0;
        i < 10 && (await enter.isVisible().catch(() => false));
        i++
      ) {
        await enter.click().catch(() => undefined);
        await page.waitForTimeout(1000);
      }
      await page
        .getByText(shot.waitFor, { exact: true })
        .first()
        .waitFor({ timeout: 30_000 })
        .catch(async e => {
          await page.screenshot({ path: '/tmp/screenshot-failure.png' });
          throw e;
        });
      // Cards show a progress bar until their data is in; the dev server's
      // websockets keep the network busy, so wait for the bars, not for idle.
      await page.waitForFunction(
        () => !document.querySelector('[role="progressbar"]'),
        null,
        { timeout: 30_000 },
      );
      await page.waitForTimeout(500);
      const file = path.join(__dirname, '..', 'docs', 'images', shot.file);
      await page.screenshot({ path: file, fullPage: !!shot.fullPage });
      console.log(`wrote ${path.relative(process.cwd(), file)}`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
})().catch(e => {
  console.error(e);
  process.exit(1);
});
