/*
 * End-to-end tests of the demo portal's serving, fleet and notebook
 * features (scripts/e2e.sh): the Serving card and a governed canary rollout
 * on the test Kubernetes API server's KServe (docs/serving.md), Kueue queue
 * history and wait estimates from Prometheus (docs/kubernetes.md), a run's
 * TensorBoard curves from a real TensorBoard (docs/experiments.md) and the
 * demo's idle notebook (docs/notebooks.md). Each reads the demo as those
 * docs describe it and leaves it so.
 */
import { APIRequestContext, expect, Page, test } from '@playwright/test';
import { card, open, settled, shotOf } from './helpers';

const BACKEND = process.env.PLAYWRIGHT_BACKEND_URL ?? 'http://localhost:7007';

/** fraud-detector's InferenceService (examples/kube/gpu-cluster-a.yaml). */
const ISVC = {
  cluster: 'gpu-cluster-a',
  namespace: 'fraud',
  name: 'fraud-detector',
};
const ISVC_KEY = `${ISVC.cluster}/InferenceService/${ISVC.namespace}/${ISVC.name}`;

/**
 * Puts fraud-detector back into its documented state (v2 stable, a 10 %
 * canary of v3) through the rollout API as the guest, from whatever state
 * a failed run of the serving test left it in; does nothing when it is
 * there already.
 */
async function restoreDocumentedCanary(request: APIRequestContext) {
  const auth = await request.get(`${BACKEND}/api/auth/guest/refresh`);
  expect(auth.ok(), 'guest sign-in').toBe(true);
  const headers = {
    authorization: `Bearer ${(await auth.json()).backstageIdentity.token}`,
  };
  const model = `${BACKEND}/api/ml/models/default/fraud-detector`;
  const place = async () => {
    const res = await request.get(`${model}/serving`, { headers });
    expect(res.ok(), 'GET serving').toBe(true);
    const body = await res.json();
    return body.places.find(
      (p: any) => p.kind === 'InferenceService' && p.name === ISVC.name,
    );
  };
  const rollout = async (body: object) => {
    const res = await request.post(`${model}/rollout`, {
      headers,
      data: { ...ISVC, ...body },
    });
    expect(res.ok(), `rollout ${JSON.stringify(body)}`).toBe(true);
  };
  let p = await place();
  if (p.canary && p.canary.stableVersion !== 'v2') {
    await rollout({ action: 'promote' });
    p = await place();
  }
  if (!p.canary && p.version !== 'v2') {
    // 100 % would not count as a running canary: promote needs one.
    await rollout({ action: 'canary', version: 'v2', percent: 50 });
    await rollout({ action: 'promote' });
    p = await place();
  }
  if (p.canary?.version !== 'v3' || p.canary?.percent !== 10) {
    await rollout({ action: 'canary', version: 'v3', percent: 10 });
  }
}

/** The two revisions of the place, as the Serving card shows them. */
async function expectTraffic(
  page: Page,
  stable: string,
  canary?: string,
): Promise<void> {
  const row = card(page, 'Serving')
    .getByRole('row')
    .filter({ hasText: `${ISVC.namespace}/${ISVC.name}` });
  await expect(row.getByTestId('traffic-stable')).toContainText(stable);
  if (canary) {
    await expect(row.getByTestId('traffic-canary')).toContainText(canary);
  } else {
    await expect(row.getByTestId('traffic-canary')).toHaveCount(0);
  }
}

test.describe('Serving', () => {
  // Runs also when the test failed or timed out: other tests and later runs
  // read the documented canary.
  test.afterEach(async ({ request }) => {
    await restoreDocumentedCanary(request);
  });

  test('Serving card: the fraud detector’s canary, promoted, a new canary rolled out and rolled back', async ({
    page,
  }) => {
    await open(page, '/catalog/default/model/fraud-detector');
    const serving = card(page, 'Serving');
    const row = serving
      .getByRole('row')
      .filter({ hasText: `${ISVC.namespace}/${ISVC.name}` });
    // The documented demo: v2 stable with a 10 % canary of v3, each
    // revision with its health from Prometheus.
    await expect(row).toContainText(ISVC.cluster);
    await expect(row).toContainText('InferenceService');
    await expect(
      row.getByRole('link', {
        name: 'http://fraud-detector-fraud.example.com',
      }),
    ).toBeVisible();
    await expect(row.getByText('Ready', { exact: true })).toBeVisible();
    await expectTraffic(page, 'v2 · 90%', 'v3 · 10%');
    await expect(row.getByTestId('health-stable')).toContainText('●');
    await expect(row.getByTestId('health-canary')).toContainText('●');

    // The owner (the guest is in fraud-team) promotes v3 to all traffic.
    await row
      .getByRole('button', { name: `Promote v3 on ${ISVC_KEY}` })
      .click();
    await expectTraffic(page, 'v3 · 100%');

    // Rolls out v2 as a 10 % canary from the card...
    await row
      .getByRole('button', { name: `Roll out a version on ${ISVC_KEY}` })
      .click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText(
      `Roll out a version to ${ISVC.namespace}/${ISVC.name}`,
    );
    await dialog.getByRole('button', { name: /^Version/ }).click();
    await page.getByRole('option', { name: /^v2\b/ }).click();
    await dialog.getByLabel('Canary traffic %').fill('10');
    await dialog.getByRole('button', { name: 'Start canary' }).click();
    await expect(dialog).toBeHidden();
    await expectTraffic(page, 'v3 · 90%', 'v2 · 10%');
    await expect(row.getByTestId('health-canary')).toContainText('●');

    // ...and rolls it back: all traffic on the stable version again.
    await row.getByRole('button', { name: `Roll back on ${ISVC_KEY}` }).click();
    await expectTraffic(page, 'v3 · 100%', 'v2 · 0%');
    await expect(
      row.getByRole('button', { name: `Roll back on ${ISVC_KEY}` }),
    ).toBeDisabled();

    // Back to the documented demo through the card: v2 promoted, then a
    // 10 % canary of v3.
    await row
      .getByRole('button', { name: `Promote v2 on ${ISVC_KEY}` })
      .click();
    await expectTraffic(page, 'v2 · 100%');
    await row
      .getByRole('button', { name: `Roll out a version on ${ISVC_KEY}` })
      .click();
    await dialog.getByRole('button', { name: /^Version/ }).click();
    await page.getByRole('option', { name: /^v3\b/ }).click();
    await dialog.getByLabel('Canary traffic %').fill('10');
    await dialog.getByRole('button', { name: 'Start canary' }).click();
    await expect(dialog).toBeHidden();
    await expectTraffic(page, 'v2 · 90%', 'v3 · 10%');
  });
});

test('Queue history and wait estimate: from the ML overview to recsys-cq', async ({
  page,
}) => {
  await open(page, '/ml');
  const gpus = card(page, 'GPUs per team').getByRole('list', {
    name: 'GPUs per team',
  });
  // recsys's queue is full with work waiting (examples/kube/gpu-cluster-a.yaml).
  const recsys = gpus
    .getByRole('listitem')
    .filter({ hasText: 'Recommendations on gpu-cluster-a' });
  await expect(recsys).toContainText(/asked for by 2 waiting workloads/);
  await recsys.getByRole('link', { name: 'Recommendations' }).click();
  await expect(page).toHaveURL(
    /\/ml\/quotas\?.*team=group%3Adefault%2Frecsys-team/,
  );

  // Kueue's metrics in the demo Prometheus: usage against the nominal
  // quota, pending workloads, admissions and preemptions.
  const history = card(page, 'Queue history');
  await expect(
    history.getByRole('button', { name: 'ClusterQueue' }),
  ).toHaveText('recsys-cq (gpu-cluster-a)');
  const charts = (step: RegExp) => [
    'GPU usage · a100-80gb (gpu) chart',
    'Pending workloads chart',
    step,
  ];
  const expectCharts = async (step: RegExp) => {
    for (const chart of charts(step)) {
      const figure = history.getByRole('figure', { name: chart });
      // A drawn line of at least two points; a flat one (usage at its
      // quota) has no height, so Playwright would call it hidden.
      await expect(
        figure.locator('.recharts-line-curve').first(),
      ).toHaveAttribute('d', /^M[\d.]+,[\d.]+L[\d.]+,[\d.]+/);
      await expect(figure).toBeVisible();
    }
    await expect(history).not.toContainText('Query failed');
    await expect(history).not.toContainText('No data in this window');
  };
  // A week in 2-hour steps...
  await expectCharts(/^Admissions and preemptions per 2 h chart$/);
  await settled(page);
  await shotOf(history, 'queue-history');
  // ...and the last day, in finer steps.
  await history.getByRole('button', { name: 'Days' }).click();
  await page.getByRole('option', { name: '1 day' }).click();
  await expectCharts(/^Admissions and preemptions per \d+ min chart$/);

  // The wait a new 1-GPU workload would have in recsys-cq, from Kueue's
  // wait histogram (the demo has fewer recorded admissions than an estimate
  // needs): recsys-cq can still borrow from the cohort, behind the two
  // waiting jobs.
  const waits = card(page, 'When would a new workload start?');
  const recsysWait = waits.getByRole('row').filter({ hasText: 'recsys-cq' });
  await expect(recsysWait).toContainText(
    /\d+ admissions \(Kueue metrics, all sizes\)/,
  );
  await expect(recsysWait.getByRole('cell').nth(3)).toHaveText(
    /^\d+ (s|min|h)$/,
  );
  await expect(recsysWait.getByRole('cell').nth(4)).toHaveText(
    /^\d+ (s|min|h)$/,
  );
  await expect(recsysWait).toContainText('room now, 2 waiting');
  await shotOf(waits, 'wait-estimates');
});

test('Wait estimate in the New notebook form, before anything is created', async ({
  page,
}) => {
  // fraud-team's fraud-sandbox namespace queues in Kueue's shared-pool-cq
  // (examples/kube/gpu-cluster-a.yaml), whose admission wait histogram the
  // demo exporter serves.
  await open(page, '/ml/notebooks');
  await page.getByRole('button', { name: 'New notebook' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New notebook' });
  await dialog.getByLabel('Name').fill('wait-estimate-e2e');
  const option = dialog.locator('option', {
    hasText: 'fraud-sandbox on gpu-cluster-a',
  });
  await expect(option).toHaveCount(1);
  await dialog
    .getByLabel('GPU quota')
    .selectOption({ label: (await option.textContent())! });
  await dialog.getByLabel('GPUs').fill('2');
  const estimate = dialog.getByRole('status', { name: 'Wait estimate' });
  await expect(estimate).toContainText(
    /Typical wait \d+ (s|min|h)[^;]*; 9 in 10 start within \d+ (s|min|h)/,
  );
  await expect(estimate).toContainText(
    "From Kueue's wait metrics for all of shared-pool-cq",
  );
  await expect(estimate).toContainText('The quota has room for it now');
  await shotOf(dialog, 'notebook-wait-estimate');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText('wait-estimate-e2e')).toHaveCount(0);
});

test('TensorBoard: a training run’s curves from its event files', async ({
  page,
  request,
}) => {
  // intent-classifier's runs wrote event files that the demo TensorBoard
  // serves (packages/test-services/src/demoTensorBoard.ts).
  await open(page, '/catalog/default/model/intent-classifier');
  const runs = card(page, 'Experiment runs');
  await runs
    .getByRole('button', { name: 'TensorBoard of xlmr-len512' })
    .click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('TensorBoard of xlmr-len512');
  await expect(dialog).toContainText(
    /Event files in .*nlp\/intent-classifier-training\/xlmr-len512/,
  );
  // One chart per scalar tag, with the curve drawn.
  for (const tag of ['accuracy', 'macro-f1', 'val_loss']) {
    const chart = dialog.getByRole('figure', { name: `${tag} chart` });
    await expect(chart).toBeVisible();
    await expect(chart.locator('.recharts-line-curve').first()).toBeVisible();
  }
  // "Open TensorBoard" leads to the real TensorBoard, which answers.
  const link = dialog.getByRole('link', { name: 'Open TensorBoard' });
  const href = await link.getAttribute('href');
  expect(href).toMatch(/^https?:\/\//);
  const tb = await request.get(href!);
  expect(tb.ok()).toBe(true);
  expect(await tb.text()).toContain('TensorBoard');
  await shotOf(dialog, 'tensorboard-run');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
});

test('Idle GPUs: the guest’s forgotten notebook on My notebooks and the quota page', async ({
  page,
}) => {
  // scripts/demo-stack.sh wait-portal creates forgotten-notebook; the demo
  // exporter reports its GPU at 1 % all along (docs/notebooks.md).
  await open(page, '/ml/notebooks');
  const idle = card(page, 'Your idle GPUs');
  await expect(idle).toContainText(
    'Owners of notebooks below 5% GPU for longer than 1h get a notification.',
  );
  await expect(idle).toContainText(
    /\d+ GPUs? held by \d+ idle notebooks? in fraud on gpu-cluster-a/,
  );
  const row = idle
    .getByRole('listitem')
    .filter({ hasText: 'forgotten-notebook' });
  await expect(row).toContainText(/1 GPU · idle for at least 6h at 1% GPU/);
  await expect(row).toContainText('gpu-cluster-a / fraud');
  await expect(
    row.getByRole('button', { name: 'Exempt from idle policy' }),
  ).toBeVisible();
  await settled(page);
  await shotOf(idle, 'idle-gpus');

  // The GPU quota page shows it to the team, with its owner.
  await open(page, '/ml/quotas?team=group%3Adefault%2Ffraud-team');
  const team = card(page, 'Idle GPUs');
  await expect(
    team.getByRole('listitem').filter({ hasText: 'forgotten-notebook' }),
  ).toContainText('guest');
});
