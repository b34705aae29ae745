import { readDecodedText } from './decodedText';

/**
 * The `data` of each server-sent event in a response body, in order, until
 * the stream ends.
 *
 * @public
 */
export async function* readServerSentEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  let buffered = '';
  for await (const text of readDecodedText(body)) {
    buffered = (buffered + text).replace(/\r\n/g, '\n');
    // Events are separated by a blank line; only `data:` lines carry data.
    for (
      let end = buffered.indexOf('\n\n');
      end >= 0;
      end = buffered.indexOf('\n\n')
    ) {
      const data = dataOf(buffered.slice(0, end));
      buffered = buffered.slice(end + 2);
      if (data !== undefined) yield data;
    }
  }
  const data = dataOf(buffered);
  if (data !== undefined) yield data;
}

function dataOf(block: string): string | undefined {
  const lines = block
    .split('\n')
    .filter(line => line.startsWith('data:'))
    .map(line => line.slice(line.startsWith('data: ') ? 6 : 5));
  return lines.length > 0 ? lines.join('\n') : undefined;
}
