import type { LogLine } from '..';
import { readDecodedText } from './decodedText';

/**
 * The lines of a text response body as they arrive (a followed pod log),
 * until the stream ends.
 *
 * @internal
 */
export async function* readTextLines(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  let buffered = '';
  for await (const text of readDecodedText(body)) {
    buffered += text;
    for (
      let end = buffered.indexOf('\n');
      end >= 0;
      end = buffered.indexOf('\n')
    ) {
      yield buffered.slice(0, end).replace(/\r$/, '');
      buffered = buffered.slice(end + 1);
    }
  }
  if (buffered) yield buffered;
}

/**
 * A line of a followed pod log, `<RFC 3339 time> <text>` as the ML backend
 * streams it; a line without a leading time is all text.
 *
 * @internal
 */
export function parseFollowedLine(raw: string): LogLine {
  const space = raw.indexOf(' ');
  const time = space > 0 ? raw.slice(0, space) : '';
  if (/^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)$/.test(time)) {
    return { time, text: raw.slice(space + 1) };
  }
  // the backend writes a space where a line has no time
  return { text: raw.startsWith(' ') ? raw.slice(1) : raw };
}
