/**
 * The backend's own words for a failed request: the `error.message` of a
 * Backstage error body when the error carries one (a `ResponseError`), else
 * the error's message. Shown verbatim so the user reads the server's reason.
 *
 * Not just `error.message`: MlClient's errors already carry the ML backend's
 * reason there (the common MlApiClient puts it in), but other Backstage
 * clients' ResponseErrors, like the catalog's on the Pipelines page, only say
 * "Request failed with 403 Forbidden".
 */
export function serverMessage(error: unknown): string {
  const body = (error as { body?: { error?: { message?: unknown } } })?.body;
  const message = body?.error?.message;
  if (typeof message === 'string' && message !== '') return message;
  if (error instanceof Error) return error.message;
  return String(error);
}
