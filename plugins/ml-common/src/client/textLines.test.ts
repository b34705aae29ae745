import { MlApiClient } from './MlApiClient';
import { parseFollowedLine, readTextLines } from './textLines';

const streamOf = (...chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      controller.close();
    },
  });

describe('followed pod logs', () => {
  it('splits chunks into lines wherever the chunks break', async () => {
    const lines: string[] = [];
    for await (const l of readTextLines(streamOf('a\nb', 'c\r\n', 'd')))
      lines.push(l);
    expect(lines).toEqual(['a', 'bc', 'd']);
  });

  it('reads the time the backend writes before each line', () => {
    expect(
      parseFollowedLine('2026-11-23T11:50:00.123456789Z GET / 200'),
    ).toEqual({
      time: '2026-11-23T11:50:00.123456789Z',
      text: 'GET / 200',
    });
    expect(parseFollowedLine(' no time here')).toEqual({
      text: 'no time here',
    });
  });

  it('MlApiClient.followPodLogs asks for follow=true and yields lines as they come', async () => {
    const fetch = jest.fn(
      async (_url: string, _init?: RequestInit) =>
        new Response(
          streamOf('2026-11-23T11:50:00Z one\n', '2026-11-23T11:51:00Z two\n'),
          {
            status: 200,
            headers: { 'Content-Type': 'text/plain; charset=utf-8' },
          },
        ),
    );
    const client = new MlApiClient({
      discoveryApi: { getBaseUrl: async () => 'http://backend/api/ml' },
      fetchApi: { fetch: fetch as any },
    });
    const lines = [];
    for await (const l of client.followPodLogs(
      { kind: 'model', namespace: 'default', name: 'fraud-detector' },
      { cluster: 'c', podNamespace: 'fraud', pod: 'p-0', tail: 10 },
    ))
      lines.push(l);
    expect(fetch.mock.calls[0][0]).toBe(
      'http://backend/api/ml/models/default/fraud-detector/logs?cluster=c&podNamespace=fraud&pod=p-0&tail=10&follow=true',
    );
    expect(lines).toEqual([
      { time: '2026-11-23T11:50:00Z', text: 'one' },
      { time: '2026-11-23T11:51:00Z', text: 'two' },
    ]);
  });
});
