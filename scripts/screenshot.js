#!/usr/bin/env node
// Takes README screenshots of a running portal (scripts/start.sh) with
// Debian's Chromium: signs in as guest, opens each page, waits for its text,
// then (for some) clicks through to what the README shows and captures that
// element only.
//
//   node scripts/screenshot.js [baseUrl] [--only file.png,...]
//   (default http://localhost:3000; --only takes just the named files)
//
// Shots that change the demo put it back (the JupyterLab one deletes its
// notebook).
const { chromium } = require('playwright-core');
const path = require('node:path');

const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args.splice(onlyAt, 2)[1].split(',') : undefined;
const baseUrl = args[0] ?? 'http://localhost:3000';

/** The README's newer shots: 1280 wide, the element alone where it can be. */
const README_VIEWPORT = { width: 1280, height: 900 };

/** The card (MUI Card) whose header starts with `title`. */
function card(page, title) {
  return page
    .locator('.MuiCard-root')
    .filter({
      has: page.locator('.MuiCardHeader-root', {
        hasText: new RegExp(`^${title}`),
      }),
    })
    .first();
}

/** Waits until no card shows a progress bar any more. */
async function settled(page) {
  await page.waitForFunction(
    () => !document.querySelector('[role="progressbar"]'),
    null,
    { timeout: 60_000 },
  );
}

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
  // Create → Deploy a model, the version picker open on the fraud
  // detector's registry versions.
  {
    path: '/create/templates/default/model-deployment',
    waitFor: 'Deploy a model',
    file: 'deploy-template.png',
    viewport: README_VIEWPORT,
    act: async page => {
      await page.getByLabel('Deployment name').fill('fraud-detector-v3');
      const model = page.getByLabel(/^Model/).first();
      await model.click();
      await model.fill('Fraud');
      await page
        .getByRole('option', { name: /fraud.detector/i })
        .first()
        .click();
      const version = page.getByLabel('Registry version');
      await version.locator('option', { hasText: 'v3' }).first().waitFor({
        state: 'attached',
      });
      await version.selectOption({ index: 1 });
      // A native select's open list is drawn by the OS, not the page:
      // show the versions as a list box instead.
      await version.evaluate(el => {
        el.size = el.options.length;
        el.style.height = 'auto';
        el.style.marginTop = '10px';
      });
      return undefined;
    },
  },
  // The Serving card with the demo's 10 % canary of v3.
  {
    path: '/catalog/default/model/fraud-detector',
    waitFor: 'Serving',
    file: 'serving-canary.png',
    // wide enough that the card's half of the page holds its table
    viewport: { width: 1920, height: 900 },
    act: async page => {
      const serving = card(page, 'Serving');
      await serving.getByTestId('traffic-canary').first().waitFor();
      await serving.getByTestId('health-canary').first().waitFor();
      return serving;
    },
  },
  // A run's TensorBoard curves, read from the demo TensorBoard.
  {
    path: '/catalog/default/model/intent-classifier',
    waitFor: 'Experiment runs',
    file: 'tensorboard-run.png',
    viewport: README_VIEWPORT,
    act: async page => {
      await page
        .getByRole('button', { name: 'TensorBoard of xlmr-len512' })
        .click();
      const dialog = page.getByRole('dialog');
      await dialog.locator('.recharts-line-curve').first().waitFor();
      await page.waitForTimeout(800); // recharts' line animation
      return dialog;
    },
  },
  // ML → GPU quotas for recsys: the Queue history card.
  {
    path: '/ml/quotas?cluster=gpu-cluster-a&team=group%3Adefault%2Frecsys-team',
    waitFor: 'Queue history',
    file: 'queue-history.png',
    viewport: README_VIEWPORT,
    act: async page => {
      const history = card(page, 'Queue history');
      // The demo backfills 6 hours: the last day shows them best.
      await history.getByRole('button', { name: 'Days' }).click();
      await page.getByRole('option', { name: '1 day' }).click();
      await history
        .getByRole('figure', {
          name: /^Admissions and preemptions per \d+ min/,
        })
        .waitFor();
      await history.locator('.recharts-line-curve').first().waitFor();
      await page.waitForTimeout(800);
      return history;
    },
  },
  // ML → My notebooks → New notebook in a Kueue quota: the wait estimate.
  {
    path: '/ml/notebooks',
    waitFor: 'My notebooks',
    file: 'notebook-wait-estimate.png',
    viewport: README_VIEWPORT,
    act: async page => {
      await page.getByRole('button', { name: 'New notebook' }).first().click();
      const dialog = page.getByRole('dialog', { name: 'New notebook' });
      await dialog.getByLabel('Name').fill('sweep-eda');
      const option = dialog.locator('option', {
        hasText: 'fraud-sandbox on gpu-cluster-a',
      });
      await dialog
        .getByLabel('GPU quota')
        .selectOption({ label: await option.textContent() });
      await dialog.getByLabel('GPUs').fill('2');
      await dialog
        .getByRole('status', { name: 'Wait estimate' })
        .getByText('Typical wait')
        .waitFor();
      return dialog;
    },
  },
  // ML → My notebooks: the demo's forgotten notebook holds an idle GPU.
  {
    path: '/ml/notebooks',
    waitFor: 'Your idle GPUs',
    file: 'idle-gpus.png',
    viewport: README_VIEWPORT,
    act: async page => {
      const idle = card(page, 'Your idle GPUs');
      await idle.getByText('forgotten-notebook').waitFor();
      return idle;
    },
  },
  // The fraud-features Dataset, from the demo's Feast registry.
  {
    path: '/catalog/default/dataset/fraud-features',
    waitFor: 'Lineage',
    file: 'dataset-feast.png',
    viewport: README_VIEWPORT,
    fullPage: true,
  },
  // A Dataset's Live facts: daily-recommendations on the demo's s3rver,
  // stale on purpose against its 24h objective (docs/datasets.md).
  {
    path: '/catalog/default/dataset/daily-recommendations',
    waitFor: 'Live facts',
    file: 'dataset-live-facts.png',
    viewport: README_VIEWPORT,
    act: async page => {
      const facts = card(page, 'Live facts');
      await facts.getByTestId('freshness-stale').waitFor({ timeout: 60_000 });
      await settled(page);
      return facts;
    },
  },
  // JupyterLab opened from the portal: a notebook on the demo JupyterHub,
  // deleted again afterwards.
  {
    path: '/ml/notebooks',
    waitFor: 'My notebooks',
    file: 'jupyterlab.png',
    viewport: README_VIEWPORT,
    act: async page => {
      const name = `readme-${Date.now().toString(36)}`;
      page.readmeNotebook = name;
      await page.getByRole('button', { name: 'New notebook' }).first().click();
      const dialog = page.getByRole('dialog', { name: 'New notebook' });
      await dialog.getByLabel('Name').fill(name);
      const option = dialog.locator('option', {
        hasText: 'fraud-lab on gpu-cluster-b',
      });
      await dialog
        .getByLabel('GPU quota')
        .selectOption({ label: await option.textContent() });
      await dialog.getByRole('button', { name: 'Create' }).click();
      const openLab = dialog.getByRole('link', { name: 'Open JupyterLab' });
      await openLab.waitFor({ timeout: 120_000 });
      const [lab] = await Promise.all([
        page.context().waitForEvent('page'),
        openLab.click(),
      ]);
      await lab.setViewportSize(README_VIEWPORT);
      const login = lab.locator('#username_input');
      const shell = lab.locator('#jp-main-dock-panel');
      await login.or(shell).first().waitFor({ timeout: 90_000 });
      if (await login.isVisible()) {
        await login.fill('guest');
        await lab.locator('#password_input').fill('demo');
        await lab.locator('#login_submit').click();
      }
      await shell.waitFor({ timeout: 90_000 });
      // The launcher's cards render after the shell.
      await lab.locator('.jp-Launcher').first().waitFor({ timeout: 60_000 });
      await lab.waitForTimeout(1500);
      // JupyterLab's own "news?" toast is not the portal's: answer it.
      const noNews = lab.getByRole('button', { name: 'No', exact: true });
      if (await noNews.isVisible()) {
        await noNews.click();
        await lab.waitForTimeout(500);
      }
      return lab;
    },
    after: async page => {
      const name = page.readmeNotebook;
      if (!name) return;
      await page.keyboard.press('Escape');
      await page.goto(`${baseUrl}/ml/notebooks`);
      const del = page.getByRole('button', { name: `Delete ${name}` });
      await del.waitFor({ timeout: 60_000 });
      await del.click();
      await page
        .getByRole('dialog')
        .getByRole('button', { name: 'Delete', exact: true })
        .click();
      await del.waitFor({ state: 'detached', timeout: 60_000 });
    },
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
      if (only && !only.includes(shot.file)) continue;
      const page = await browser.newPage({
        viewport: shot.viewport ?? { width: 1400, height: 860 },
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
      try {
        // What `act` returns is captured: an element (Locator), another
        // page (a tab it opened), or, by default, this page.
        const target = shot.act ? await shot.act(page) : undefined;
        if (target && typeof target.screenshot === 'function' && target.url) {
          await target.screenshot({ path: file });
        } else if (target) {
          await target.scrollIntoViewIfNeeded();
          await target.screenshot({ path: file });
        } else {
          await page.screenshot({ path: file, fullPage: !!shot.fullPage });
        }
      } catch (e) {
        await page.screenshot({ path: '/tmp/screenshot-failure.png' });
        throw e;
      } finally {
        if (shot.after) await shot.after(page);
      }
      console.log(`wrote ${path.relative(process.cwd(), file)}`);
      await page.context().close();
    }
  } finally {
    await browser.close();
  }
})().catch(e => {
  console.error(e);
  process.exit(1);
});
