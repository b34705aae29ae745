import fs from 'node:fs';
import path from 'node:path';
import { demoMlflowModels } from './demoMlflow';

const EXAMPLES = path.resolve(__dirname, '../../../examples/ml');

describe('demoMlflowModels', () => {
  it('has versions and a champion for every example Model whose registry is MLflow', () => {
    const refs = fs
      .readdirSync(EXAMPLES)
      .filter(f => f.endsWith('.yaml'))
      .flatMap(f => [
        ...fs
          .readFileSync(path.join(EXAMPLES, f), 'utf8')
          .matchAll(/^ {2}registry: mlflow:\/\/(\S+)$/gm),
      ])
      .map(m => m[1]);
    expect(refs).toContain('support-assistant-llm');

    const models = demoMlflowModels();
    expect(models.map(m => m.name).sort()).toEqual([...new Set(refs)].sort());
    for (const model of models) {
      expect(model.versions.length).toBeGreaterThan(1);
      expect(Number(model.aliases?.champion)).toBeLessThanOrEqual(
        model.versions.length,
      );
    }
  });
});
