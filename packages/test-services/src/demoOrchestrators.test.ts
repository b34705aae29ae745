import { demoAirflowSeed, demoKubeflowSeed } from './demoOrchestrators';

const count = <T>(items: T[], key: (t: T) => string) =>
  items.reduce<Record<string, number>>((acc, t) => {
    acc[key(t)] = (acc[key(t)] ?? 0) + 1;
    return acc;
  }, {});

describe.each([
  '2026-11-23T17:00:00Z',
  // Just after the nightly runs are due, and on a Sunday morning.
  '2026-11-22T00:31:00Z',
  '2026-11-22T04:05:00Z',
])('demo orchestrator seed at %s', at => {
  const now = new Date(at);

  it('seeds 5-8 Kubeflow runs per demo pipeline, none in the future', () => {
    const { pipelines, runs } = demoKubeflowSeed(now);
    expect(pipelines.map(p => [p.pipeline_id, p.namespace])).toEqual([
      ['intent-classifier-training', 'nlp'],
      ['recsys-ranker-training', 'recsys'],
    ]);
    for (const n of Object.values(count(runs, r => r.pipeline_id))) {
      expect(n).toBeGreaterThanOrEqual(5);
      expect(n).toBeLessThanOrEqual(8);
    }
    for (const r of runs) {
      expect(r.created_at.getTime()).toBeLessThanOrEqual(now.getTime());
      expect((r.finished_at ?? now).getTime()).toBeLessThanOrEqual(
        now.getTime(),
      );
    }
    const states = runs.map(r => r.state);
    expect(states).toContain('FAILED');
    expect(states).toContain('RUNNING');
    expect(runs.some(r => r.parameters?.model_version)).toBe(true);
  });

  it('seeds 5-8 Airflow runs per demo DAG, none in the future', () => {
    const { dags, runs } = demoAirflowSeed(now);
    expect(dags.map(d => [d.dag_id, d.schedule])).toEqual([
      ['fraud_features_daily', '0 1 * * *'],
      ['support_ticket_curation', '30 0 * * *'],
    ]);
    expect(count(runs, r => r.dag_id)).toEqual({
      fraud_features_daily: 7,
      support_ticket_curation: 6,
    });
    for (const r of runs) {
      expect(
        (r.end_date ?? r.start_date ?? r.logical_date).getTime(),
      ).toBeLessThanOrEqual(now.getTime());
    }
    const states = runs.map(r => r.state);
    expect(states).toContain('failed');
    expect(states).toContain('running');
    expect(new Set(runs.map(r => r.run_type))).toEqual(
      new Set(['scheduled', 'manual']),
    );
  });
});
