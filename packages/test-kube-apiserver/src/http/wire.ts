/*
 * What goes over the wire: JSON responses with the real server's headers,
 * request bodies (JSON or YAML), Warning headers, and the Status body any
 * thrown error becomes.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { ResourceType } from '../resources';
import { StatusError, errors, statusBody } from '../status';

/** Writes `body` as the whole response, with the headers the real server sends. */
export function send(
  res: ServerResponse,
  code: number,
  body: unknown,
  contentType = 'application/json',
): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': contentType,
    'Cache-Control': 'no-cache, private',
    'Audit-Id': randomUUID(),
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Answers a request whose handler threw: a StatusError with its own Status,
 * anything else as a 500 InternalError. A response already under way (a
 * watch) is just ended.
 */
export function sendError(res: ServerResponse, err: any): void {
  const st =
    err instanceof StatusError
      ? err.status
      : statusBody(
          500,
          'InternalError',
          `Internal error occurred: ${err?.message ?? err}`,
        );
  if (!res.headersSent) send(res, st.code, st);
  else res.end();
}

/** Sets the Warning header of a write, as admission and field validation warn. */
export function sendWarnings(res: ServerResponse, ws: string[]): void {
  if (ws.length)
    res.setHeader(
      'Warning',
      ws.map(w => `299 - ${JSON.stringify(w)}`),
    );
}

/** The whole request body as text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a request body by its content type; empty or malformed bodies are a 400. */
export function parseBody(text: string, contentType: string): any {
  if (!text.trim())
    throw errors.badRequest('the body of the request was empty');
  if (!/json|yaml/.test(contentType)) throw errors.unsupportedBody(contentType);
  try {
    return contentType.includes('yaml') ? parseYaml(text) : JSON.parse(text);
  } catch (e: any) {
    throw errors.badRequest(
      `error decoding ${contentType.includes('yaml') ? 'YAML' : 'JSON'}: ${
        e.message
      }`,
    );
  }
}

/** Builtin list items carry no apiVersion/kind; custom resources do. */
export function listItem(
  t: ResourceType,
  o: any,
  present: (o: any) => any,
): any {
  const p = present(o);
  if (t.crd) return p;
  const { apiVersion, kind, ...rest } = p;
  return rest;
}
