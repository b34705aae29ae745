/*
 * End-to-end tests of the demo portal's newer ML features (scripts/e2e.sh):
 * experiment runs and their comparison from the demo MLflow, a serving pod's
 * logs, the ML overview dashboard, queue positions of pending workloads and a
 * JupyterHub notebook's spawn. Each waits for the demo's data, never for time;
 * the screenshots are the README's (docs/images/).
 */
import { BrowserContext, expect, Locator, Page, test } from '@playwright/test';
import { card, open, settled, shot, shotOf } from './helpers';

test('Experiment runs: compare two runs of the LoRA search', async ({
  page,
}) => {
  // support-assistant-llm names the experiment nlp/support-llm-finetuning,
  // seeded into the demo MLflow (packages/test-services/src/demoExperiments.ts).
  await open(page, '/catalog/default/model/support-assistant-llm');
  const runs = card(page, 'Experiment runs');
  const table = runs.getByRole('table', { name: 'Experiment runs' });
  for (const run of ['lora-lr2e-5-r16', 'lora-lr1e-5-r16', 'lora-lr1e-4-r16']) {
    await expect(
      table.getByRole('link', { name: new RegExp(`^${run} in MLflow`) }),
    ).toBeVisible();
  }
  // The diverged run of the search, as MLflow recorded it.
  await expect(
    table.getByRole('row').filter({ hasText: 'lora-lr1e-4-r16' }),
  ).toContainText('Failed');

  const compare = runs.getByRole('button', { name: /^Compare/ });
  await expect(compare).toBeDisabled();
  await table
    .getByRole('checkbox', { name: 'Compare lora-lr2e-5-r16' })
    .check();
  await table
    .getByRole('checkbox', { name: 'Compare lora-lr1e-5-r16' })
    .check();
  await expect(compare).toHaveText('Compare (2)');
  // Tall enough that the dialog shows the charts and the parameter diff at once.
  await page.setViewportSize({ width: 1400, height: 1500 });
  await compare.click();

  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText(
    'Compare 2 runs of nlp/support-llm-finetuning',
  );
  // One chart per metric the runs logged.
  for (const metric of ['train_loss', 'eval_loss', 'rougeL']) {
    await expect(
      dialog.getByRole('figure', { name: `${metric} chart` }),
    ).toBeVisible();
  }
  // The search varied the learning rate: that row differs, the base model not.
  const params = dialog.getByRole('table', { name: 'Parameter diff' });
  const lr = params.getByRole('row').filter({ hasText: 'learning_rate' });
  await expect(lr).toHaveAttribute('data-differs', 'true');
  await expect(lr).toContainText('differs');
  await expect(lr).toContainText('2e-5');
  await expect(lr).toContainText('1e-5');
  const base = params.getByRole('row').filter({ hasText: 'base_model' });
  await expect(base).toHaveAttribute('data-differs', 'false');
  // The charts draw their lines once recharts has measured the dialog.
  await expect(dialog.locator('.recharts-line-curve').first()).toBeVisible();
  await shotOf(dialog, 'compare-runs');

  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
});

test('Logs card: the fraud detector’s serving pod, searched', async ({
  page,
}) => {
  // The predictor pod's log is seeded by examples/kube/gpu-cluster-a.yaml.
  await open(page, '/catalog/default/model/fraud-detector');
  const logs = card(page, 'Logs of the serving pods');
  const lines = logs.getByRole('log');
  await expect(lines).toContainText('model fraud-detector 3.2.0 loaded');
  await expect(lines).toContainText('drift: merchant_risk PSI 0.71');
  const all = await logs.getByTestId('log-line').count();
  expect(all).toBeGreaterThanOrEqual(5);

  await logs.getByLabel('Search loaded lines').fill('drift');
  await expect(logs.getByTestId('log-line')).toHaveCount(1);
  await expect(lines).toContainText('WARN drift: merchant_risk PSI 0.71');
  await expect(lines).not.toContainText('uvicorn');
  await shotOf(logs, 'model-logs');

  await logs.getByLabel('Search loaded lines').fill('');
  await expect(logs.getByTestId('log-line')).toHaveCount(all);
});

test('ML overview: models by verdict, alerts, runs and GPUs', async ({
  page,
}) => {
  await open(page, '/ml');
  await expect(card(page, 'Model health')).toBeVisible();
  const health = card(page, 'Model health');
  // The demo's fraud detector drifts: at least one failing model, named.
  await expect(
    health.getByRole('img', { name: /[1-9]\d* failing/ }),
  ).toBeVisible();
  await expect(
    health.getByRole('list', { name: 'Models that need a look' }),
  ).toContainText('Fraud detector');
  await expect(
    card(page, 'Firing alerts').getByRole('list', { name: 'Firing alerts' }),
  ).toContainText('ModelDriftHigh');
  await expect(card(page, 'Pipeline runs that need a look')).toBeVisible();
  const gpus = card(page, 'GPUs per team').getByRole('list', {
    name: 'GPUs per team',
  });
  await expect(gpus.getByRole('progressbar').first()).toBeVisible();
  await expect(gpus).toContainText('gpu-cluster-a');
  await shot(page, 'ml-overview');
});

test('GPU quotas: a pending workload’s place in line and why', async ({
  page,
}) => {
  await open(page, '/ml/quotas');
  // recsys's two jobs wait for A100s on gpu-cluster-a; Kueue's visibility
  // API puts the older one first (examples/kube/gpu-cluster-a.yaml).
  const first = page
    .getByRole('row')
    .filter({ hasText: 'job-product-ranker-hpo-1a9e4' });
  const second = page
    .getByRole('row')
    .filter({ hasText: 'job-recommendations-finetune-7b3c9' });
  await expect(
    first.getByRole('cell', { name: 'next', exact: true }),
  ).toBeVisible();
  await expect(first).toContainText('it is next in line');
  await expect(
    second.getByRole('cell', { name: '1 ahead', exact: true }),
  ).toBeVisible();
  await expect(second).toContainText(
    "Waiting: the team's queue needs 4 more A100-80GB GPUs than are free; 1 workload is ahead of it",
  );
  await settled(page);
  const pending = page
    .getByRole('table', { name: 'Pending workloads' })
    .filter({ has: second });
  await shotOf(pending, 'gpu-quotas-pending');
});

/**
 * Follows an "Open" link of a JupyterHub notebook to JupyterLab's own page
 * (the demo's JupyterHub signs anyone in as guest) and closes it.
 */
async function seeJupyterLab(
  context: BrowserContext,
  link: Locator,
  name: string,
) {
  const [lab] = await Promise.all([context.waitForEvent('page'), link.click()]);
  const login = lab.locator('#username_input');
  const labShell = lab.locator('#jp-main-dock-panel');
  await expect(login.or(labShell).first()).toBeVisible({ timeout: 90_000 });
  if (await login.isVisible()) {
    await login.fill('guest');
    await lab.locator('#password_input').fill('demo');
    await lab.locator('#login_submit').click();
  }
  await expect(labShell).toBeVisible({ timeout: 90_000 });
  expect(lab.url()).toContain(`/user/guest/${name}/lab`);
  await lab.close();
}

/** Stops a JupyterHub notebook on My notebooks, then deletes it. */
async function stopAndDelete(page: Page, name: string) {
  await page.getByRole('button', { name: `Stop ${name}` }).click();
  // The list shows "stopping on JupyterHub" until JupyterHub has stopped the
  // server; the page does not poll, so refresh it until the row says so.
  const start = page.getByRole('button', { name: `Start ${name}` });
  await expect(async () => {
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await expect(start).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 90_000 });
  await page.getByRole('button', { name: `Delete ${name}` }).click();
  const confirm = page.getByRole('dialog');
  await expect(confirm).toContainText(`Delete notebook ${name}?`);
  await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(
    page.getByRole('button', { name: `Delete ${name}` }),
  ).toHaveCount(0, { timeout: 60_000 });
}

test('JupyterHub notebook: progress, JupyterLab, stopped, deleted', async ({
  page,
  context,
}) => {
  const name = `e2e-hub-${Date.now().toString(36)}`;
  await open(page, '/ml/notebooks');
  await page.getByRole('button', { name: 'New notebook' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New notebook' });
  await dialog.getByLabel('Name').fill(name);
  const quota = dialog.getByLabel('GPU quota');
  const option = dialog.locator('option', {
    hasText: 'fraud-lab on gpu-cluster-b',
  });
  await expect(option).toHaveCount(1);
  await quota.selectOption({ label: (await option.textContent())! });
  await dialog.getByRole('button', { name: 'Create' }).click();

  // JupyterHub's spawn progress, then the link to the running server.
  await expect(
    dialog.getByRole('progressbar', { name: 'Spawn progress' }),
  ).toBeVisible({ timeout: 60_000 });
  await expect(dialog.getByRole('status')).toContainText('%');
  await shotOf(dialog, 'notebook-progress');
  const openLab = dialog.getByRole('link', { name: 'Open JupyterLab' });
  await expect(openLab).toBeVisible({ timeout: 90_000 });
  await expect(dialog).toContainText(`${name} is running.`);
  await shotOf(dialog, 'notebook-ready');
  await seeJupyterLab(context, openLab, name);

  await dialog.getByRole('button', { name: 'Close' }).click();
  await stopAndDelete(page, name);
});

test('JupyterHub notebook from the template: the run logs the spawn, JupyterLab opens', async ({
  page,
  context,
}) => {
  const name = `e2e-tpl-${Date.now().toString(36)}`;
  await open(page, '/create/templates/default/gpu-notebook');
  await page.getByLabel('Name').first().fill(name);
  await page.getByRole('button', { name: 'Next' }).click();
  const option = page.locator('option', {
    hasText: 'fraud-lab on gpu-cluster-b',
  });
  await expect(option).toHaveCount(1);
  await page
    .locator('select')
    .first()
    .selectOption({ label: (await option.textContent())! });
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();

  // The run ends when JupyterHub says the server is ready; its log holds
  // JupyterHub's progress messages with their percent.
  const openNotebook = page.getByRole('link', { name: 'Open notebook' });
  await expect(openNotebook).toBeVisible({ timeout: 120_000 });
  await expect(page.locator('article')).toContainText('(jupyterhub)');
  // The log panel opens by itself once the run has ended.
  await expect(
    page.getByText(`100% Server ready at /user/guest/${name}/`),
  ).toBeVisible();
  await expect(page.getByText(/info: 0% Server requested/)).toBeVisible();
  await shot(page, 'notebook-template-jupyterhub');
  await seeJupyterLab(context, openNotebook, name);

  await open(page, '/ml/notebooks');
  await stopAndDelete(page, name);
});
