/*
 * DESIGN.md section 8: the Model page's first meaningful render on the
 * production build vs a stock Component page of the same app, side by side
 * in one run. Started by `scripts/production.sh --bench`, which builds and
 * serves the portal on PostgreSQL with the demo stack behind it.
 *
 * Each load is cold for the browser (a new context: no HTTP cache, no app
 * state) but signed in (the guest's session, stored once). "Meaningful" is
 * every card showing data and no progress bar left:
 * - Model (fraud-detector): Health with its verdict, Versions with v3,
 *   Lineage with its training Pipeline.
 * - Component (fraud-scoring-service): About with its description,
 *   Relations with the graph's Model node.
 * - The ML overview (/ml), reported beside them: Model health naming the
 *   fraud detector, its firing alert, the GPUs per team.
 * Loads alternate between the two pages; the median of --loads each.
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     bench/render.ts --base http://127.0.0.1:7007 [--loads 7] [--json]
 */
import { Browser, chromium, Page } from 'playwright-core';
import os from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    loads: { type: 'string', default: '7' },
    json: { type: 'boolean', default: false },
  },
});
if (!values.base) {
  console.error('usage: bench/render.ts --base <portal URL> [--loads 7]');
  process.exit(2);
}
const BASE = values.base.replace(/\/$/, '');
const LOADS = Number(values.loads);

const card = (page: Page, title: string) =>
  page.locator('.MuiCard-root').filter({
    has: page.locator('.MuiCardHeader-root', {
      hasText: new RegExp(`^${title}`),
    }),
  });

interface Target {
  name: string;
  path: string;
  ready: (page: Page) => Promise<unknown>;
  /** Progress bars that are data (the overview's GPU bars), not loading. */
  barsAreData?: boolean;
}

const TARGETS: Target[] = [
  {
    name: 'Model page (fraud-detector)',
    path: '/catalog/default/model/fraud-detector',
    ready: page =>
      Promise.all([
        card(page, 'Health').getByTestId('verdict-failing').first().waitFor(),
        card(page, 'Versions')
          .getByRole('cell', { name: 'v3', exact: true })
          .first()
          .waitFor(),
        card(page, 'Lineage')
          .getByRole('link', { name: 'fraud-detector-training' })
          .first()
          .waitFor(),
      ]),
  },
  {
    name: 'stock Component page (fraud-scoring-service)',
    path: '/catalog/default/component/fraud-scoring-service',
    // Backstage's own cards (not MUI InfoCards): found by their headings.
    ready: page =>
      Promise.all([
        page.getByRole('heading', { name: 'About' }).first().waitFor(),
        page.getByText('Serves the fraud models').first().waitFor(),
        page.getByRole('heading', { name: 'Relations' }).first().waitFor(),
        page.locator('svg').getByText('Fraud detector').first().waitFor(),
      ]),
  },
  {
    name: 'ML overview (/ml)',
    path: '/ml',
    barsAreData: true,
    ready: page =>
      Promise.all([
        card(page, 'Model health')
          .getByRole('list', { name: 'Models that need a look' })
          .getByText('Fraud detector')
          .first()
          .waitFor(),
        card(page, 'Firing alerts')
          .getByText('ModelDriftHigh')
          .first()
          .waitFor(),
        card(page, 'GPUs per team')
          .getByText('gpu-cluster-a')
          .first()
          .waitFor(),
      ]),
  },
];

async function signIn(browser: Browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${BASE}/catalog`);
  const enter = page.getByRole('button', { name: 'Enter' });
  await enter.waitFor({ timeout: 60_000 });
  for (let i = 0; i < 15 && (await enter.isVisible().catch(() => false)); i++) {
    await enter.click().catch(() => undefined);
    await page.waitForTimeout(1000);
  }
  await page
    .getByRole('link', { name: 'Catalog', exact: true })
    .first()
    .waitFor();
  const state = await context.storageState();
  await context.close();
  return state;
}

/** Milliseconds from navigation start to every card showing data. */
async function load(
  browser: Browser,
  state: Awaited<ReturnType<typeof signIn>>,
  target: Target,
): Promise<number> {
  const context = await browser.newContext({
    storageState: state,
    viewport: { width: 1400, height: 900 },
  });
  try {
    const page = await context.newPage();
    await page.goto(`${BASE}${target.path}`);
    page.setDefaultTimeout(60_000);
    await target.ready(page);
    if (!target.barsAreData) {
      await page.waitForFunction(
        () => !document.querySelector('[role="progressbar"]'),
      );
    }
    return await page.evaluate(() => performance.now());
  } finally {
    await context.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const loadavgBefore = os.loadavg();
  try {
    const state = await signIn(browser);
    // One warm-up of each: the backend's caches, as any running portal has.
    for (const t of TARGETS) await load(browser, state, t);
    const times = TARGETS.map(() => [] as number[]);
    for (let i = 0; i < LOADS; i++) {
      for (let t = 0; t < TARGETS.length; t++) {
        times[t].push(await load(browser, state, TARGETS[t]));
      }
    }
    const [model, component, overview] = times.map(median);
    const result = {
      loads: LOADS,
      modelMs: times[0].map(Math.round),
      componentMs: times[1].map(Math.round),
      modelMedianMs: Math.round(model),
      componentMedianMs: Math.round(component),
      ratio: Math.round((model / component) * 100) / 100,
      overviewMs: times[2].map(Math.round),
      overviewMedianMs: Math.round(overview),
      loadavgBefore,
      loadavgAfter: os.loadavg(),
    };
    console.log(
      `${TARGETS[0].name}: median ${
        result.modelMedianMs
      } ms (${result.modelMs.join(', ')})`,
    );
    console.log(
      `${TARGETS[1].name}: median ${
        result.componentMedianMs
      } ms (${result.componentMs.join(', ')})`,
    );
    console.log(
      `${TARGETS[2].name}: median ${
        result.overviewMedianMs
      } ms (${result.overviewMs.join(', ')})`,
    );
    console.log(
      `first meaningful render, Model / Component: ${
        result.ratio
      }x (target <= 1.2x), ${LOADS} cold loads each, load average ${loadavgBefore
        .map(x => x.toFixed(1))
        .join(' ')}`,
    );
    if (values.json) console.log(JSON.stringify(result));
  } finally {
    await browser.close();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
