import { AlertmanagerHandle, startAlertmanager } from './alertmanager';
import { describeIfBinary, serverBinaries } from './binaries';
import { PrometheusHandle, startPrometheus } from './prometheus';

describeIfBinary(serverBinaries.alertmanager)('startAlertmanager', () => {
  let am: AlertmanagerHandle;

  beforeAll(async () => {
    am = await startAlertmanager();
  }, 30000);

  afterAll(() => am?.stop());

  it('stores posted alerts and returns them with their labels', async () => {
    await am.postAlerts([
      {
        labels: {
          alertname: 'ModelDrift',
          model: 'fraud-v3',
          severity: 'warning',
        },
        annotations: { summary: 'drift above threshold' },
      },
    ]);
    const alerts = await am.getAlerts(['alertname="ModelDrift"']);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].labels).toEqual({
      alertname: 'ModelDrift',
      model: 'fraud-v3',
      severity: 'warning',
    });
    expect(alerts[0].annotations).toEqual({ summary: 'drift above threshold' });
    expect(alerts[0].status.state).toBe('active');
    // The filter must really filter.
    expect(await am.getAlerts(['alertname="SomethingElse"'])).toEqual([]);
  });

  describeIfBinary(serverBinaries.prometheus)('with Prometheus', () => {
    let prom: PrometheusHandle;

    afterAll(() => prom?.stop());

    it('receives an alert from an always-firing Prometheus rule', async () => {
      prom = await startPrometheus({
        alertmanagerUrl: am.url,
        rules: [
          'groups:',
          '  - name: test',
          '    rules:',
          '      - alert: AlwaysFiring',
          '        expr: vector(1)',
          '        for: 0s',
          '        labels: { severity: page }',
        ].join('\n'),
      });
      const deadline = Date.now() + 20000;
      let alerts = await am.getAlerts(['alertname="AlwaysFiring"']);
      while (alerts.length === 0 && Date.now() < deadline) {
        await new Promise(r => setTimeout(r, 250));
        alerts = await am.getAlerts(['alertname="AlwaysFiring"']);
      }
      expect(alerts).toHaveLength(1);
      expect(alerts[0].labels).toEqual({
        alertname: 'AlwaysFiring',
        severity: 'page',
      });
      expect(alerts[0].status.state).toBe('active');
      expect(alerts[0].generatorURL).toContain(prom.url.replace('http://', ''));
    }, 40000);
  });
});
