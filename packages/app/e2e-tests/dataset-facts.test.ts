/*
 * End-to-end tests of the Live facts card on the demo's Dataset pages
 * (scripts/e2e.sh): S3 prefixes on the demo's s3rver, seeded by
 * packages/test-services/src/demoS3.ts (one of them stale on purpose), and
 * the PVC of the demo cluster with its used bytes from the demo Prometheus.
 * docs/datasets.md, "In the demo", lists what each Dataset shows.
 */
import { expect, Locator, test } from '@playwright/test';
import { card, open, settled, shotOf } from './helpers';

/** The value cell of a row of the card's facts table. */
function fact(facts: Locator, label: string) {
  return facts.getByRole('row').filter({ hasText: new RegExp(`^${label}`) });
}

test('Live facts: daily-recommendations on S3, stale against its 24h objective', async ({
  page,
}) => {
  await open(page, '/catalog/default/dataset/daily-recommendations');
  const facts = card(page, 'Live facts');
  await expect(facts.getByTestId('freshness-stale')).toBeVisible({
    timeout: 60_000,
  });
  // The seed's last scoring run wrote 3 days 4 hours before the demo started.
  await expect(facts).toContainText('Objective: changed within 24h.');
  await expect(facts).toContainText(/newest object is 3d \d+h old/);
  await expect(facts).toContainText('over the 24h objective');
  await expect(fact(facts, 'Where')).toContainText(
    's3://ml-serving/recsys/daily-recommendations/',
  );
  await expect(fact(facts, 'Objects')).toContainText('20');
  await expect(fact(facts, 'Total size')).toContainText('MiB');
  await expect(fact(facts, 'Newest object')).toContainText(/days? ago/);
  await settled(page);
  await page.setViewportSize({ width: 1280, height: 900 });
  await shotOf(facts, 'dataset-live-facts');
});

test('Live facts: card-transactions-raw on S3, fresh', async ({ page }) => {
  await open(page, '/catalog/default/dataset/card-transactions-raw');
  const facts = card(page, 'Live facts');
  await expect(facts.getByTestId('freshness-fresh')).toBeVisible({
    timeout: 60_000,
  });
  await expect(facts).toContainText('Objective: changed within 24h.');
  await expect(fact(facts, 'Where')).toContainText(
    's3://ml-raw/fraud/card-transactions/',
  );
  // 7 daily partitions of 4 parts and a _SUCCESS marker.
  await expect(fact(facts, 'Objects')).toContainText('35');
  await expect(fact(facts, 'Newest object')).toContainText(/hours? ago/);
});

test('Live facts: support-tickets-curated on a PVC of the demo cluster', async ({
  page,
}) => {
  await open(page, '/catalog/default/dataset/support-tickets-curated');
  const facts = card(page, 'Live facts');
  await expect(fact(facts, 'Phase')).toContainText('Bound', {
    timeout: 60_000,
  });
  await expect(fact(facts, 'PVC')).toContainText(
    'nlp/support-tickets-curated on gpu-cluster-b',
  );
  await expect(fact(facts, 'Capacity')).toContainText('50Gi');
  await expect(fact(facts, 'Storage class')).toContainText('cephfs');
  // kubelet_volume_stats_used_bytes of the demo Prometheus: ~31 GiB of 50.
  await expect(fact(facts, 'Used')).toContainText(/3\d(\.\d+)? GiB \(6\d%\)/);
  await expect(facts.getByTestId('freshness-unknown')).toBeVisible();
});
