import { jsonPatch, mergePatch, strategicMergePatch } from './patch';

describe('patches', () => {
  it('applies JSON merge patches (RFC 7386)', () => {
    expect(
      mergePatch(
        { a: 1, b: { c: 2, d: 3 }, l: [1, 2] },
        { b: { c: null, e: 4 }, l: [3] },
      ),
    ).toEqual({
      a: 1,
      b: { d: 3, e: 4 },
      l: [3],
    });
  });

  it('applies JSON patches (RFC 6902) and fails on missing paths', () => {
    const doc = { metadata: { labels: { a: '1' } }, list: [1, 2] };
    expect(
      jsonPatch(doc, [
        { op: 'add', path: '/metadata/labels/b', value: '2' },
        { op: 'remove', path: '/metadata/labels/a' },
        { op: 'add', path: '/list/-', value: 3 },
        { op: 'test', path: '/list/0', value: 1 },
        { op: 'copy', from: '/list/0', path: '/first' },
      ]),
    ).toEqual({ metadata: { labels: { b: '2' } }, list: [1, 2, 3], first: 1 });
    expect(doc.metadata.labels).toEqual({ a: '1' });
    expect(() =>
      jsonPatch(doc, [{ op: 'replace', path: '/spec/x', value: 1 }]),
    ).toThrow('doc is missing path: /spec/x');
  });

  it('merges lists by their merge key in strategic merge patches, with kubectl directives', () => {
    const current = {
      spec: {
        containers: [
          { name: 'a', image: 'a:1', env: [{ name: 'X', value: '1' }] },
          { name: 'b', image: 'b:1' },
        ],
        args: ['x', 'y'],
      },
    };
    const patch = {
      spec: {
        '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }],
        containers: [
          { name: 'a', image: 'a:2', env: [{ name: 'Y', value: '2' }] },
          { name: 'c', $patch: 'delete' },
        ],
        '$deleteFromPrimitiveList/args': ['y'],
      },
    };
    expect(strategicMergePatch(current, patch)).toEqual({
      spec: {
        containers: [
          { name: 'b', image: 'b:1' },
          {
            name: 'a',
            image: 'a:2',
            env: [
              { name: 'X', value: '1' },
              { name: 'Y', value: '2' },
            ],
          },
        ],
        args: ['x'],
      },
    });
  });
});
