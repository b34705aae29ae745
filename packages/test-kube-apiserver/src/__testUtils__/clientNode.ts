/*
 * Helpers for tests that talk to the stand-in server through
 * @kubernetes/client-node, or as plain HTTPS to see bodies exactly as sent.
 */
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import https from 'node:https';
import { KubeApiServer } from '../index';

/** A plain HTTPS request, to see status bodies exactly as sent. */
export function raw(
  s: KubeApiServer,
  path: string,
  token?: string,
): Promise<{ status: number; body: any; headers: any }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${s.url}${path}`,
      {
        ca: s.caPem,
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      },
      res => {
        let text = '';
        res.on('data', c => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            body: JSON.parse(text),
            headers: res.headers,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export function kubeConfig(s: KubeApiServer, token = s.token): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 't', server: s.url, caData: s.caData, skipTLSVerify: false },
    ],
    users: [{ name: 'u', token }],
    contexts: [{ name: 't', cluster: 't', user: 'u' }],
    currentContext: 't',
  });
  return kc;
}

export async function failure(
  p: Promise<unknown>,
): Promise<{ code: number; body: any }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiException) {
      return {
        code: e.code,
        body: typeof e.body === 'string' ? JSON.parse(e.body) : e.body,
      };
    }
    throw e;
  }
  throw new Error('expected the request to fail');
}

export const pod = (name: string, extra: any = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'web', ...(extra.labels ?? {}) } },
  spec: {
    containers: [
      {
        name: 'main',
        image: 'nginx:1.27',
        resources: extra.resources ?? {
          requests: { cpu: '100m', memory: '64Mi' },
        },
      },
    ],
  },
});

export async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise(r => setTimeout(r, 20));
  }
}
