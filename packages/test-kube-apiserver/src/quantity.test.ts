import { formatQuantity, parseQuantity } from './quantity';

describe('Kubernetes quantities', () => {
  it.each([
    ['500m', 500n, '500m'],
    ['1', 1000n, '1'],
    ['1.5', 1500n, '1500m'],
    ['2000', 2000000n, '2k'],
    ['4Gi', 4000n * 1024n ** 3n, '4Gi'],
    ['1536Mi', 1536000n * 1024n ** 2n, '1536Mi'],
    ['0.5Gi', 512000n * 1024n ** 2n, '512Mi'],
    ['1Ti', 1000n * 1024n ** 4n, '1Ti'],
    ['128k', 128000000n, '128k'],
    ['1e3', 1000000n, '1e3'],
    ['100u', 1n, '1m'],
  ])('%s', (text, milli, canonical) => {
    const q = parseQuantity(text);
    expect(q.milli).toBe(milli);
    expect(formatQuantity(q)).toBe(canonical);
  });

  it('rejects what the server rejects', () => {
    for (const bad of ['lots', '1.2.3', '5 Gi', 'Gi', '']) {
      expect(() => parseQuantity(bad)).toThrow(
        'quantities must match the regular expression',
      );
    }
  });
});
