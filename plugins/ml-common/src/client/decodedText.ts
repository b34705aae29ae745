/**
 * The text of a response body, decoded as UTF-8 chunk by chunk as it
 * arrives (a character split across two chunks comes out whole), until the
 * stream ends. Reads with a stream reader rather than `for await`, which not
 * every browser offers on a fetch body; the reader's lock is released however
 * the caller stops.
 *
 * @internal
 */
export async function* readDecodedText(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        const rest = decoder.decode();
        if (rest) yield rest;
        return;
      }
      yield decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
}
