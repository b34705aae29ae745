/*
 * TEST INFRASTRUCTURE — runs the stand-in Kubernetes API server for the
 * local demo stack. Not a cluster.
 *
 *   node --require /work/main/node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     packages/test-kube-apiserver/src/cli.ts --port 16443 --token T \
 *     --seed examples/kube/gpu-cluster-a.yaml [--seed ...] [--no-kubeflow] [--no-kueue] [--no-argo] [--no-kserve]
 *     [--no-controllers] [--host 127.0.0.1] [--kubeconfig out.yaml]
 *
 * Prints one JSON line {"url", "caData"} on stdout when ready; runs until SIGTERM/SIGINT.
 */
import fs from 'node:fs';
import { loadManifests } from './manifests';
import { CrdGroup } from './resources';
import { startKubeApiServer } from './server';

interface CliOptions {
  host?: string;
  port?: number;
  token?: string;
  seeds: string[];
  crds: CrdGroup[];
  controllers: boolean;
  kubeconfig?: string;
  readOnlyToken?: string;
}

export function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = {
    seeds: [],
    crds: ['kueue', 'kubeflow', 'argo', 'kserve'],
    controllers: true,
  };
  const value = (i: number, flag: string) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--'))
      throw new Error(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--host':
        o.host = value(i++, a);
        break;
      case '--port': {
        const p = Number(value(i++, a));
        if (!Number.isInteger(p) || p < 0 || p > 65535)
          throw new Error(`--port must be 0-65535, got ${argv[i]}`);
        o.port = p;
        break;
      }
      case '--token':
        o.token = value(i++, a);
        break;
      case '--read-only-token':
        o.readOnlyToken = value(i++, a);
        break;
      case '--seed':
        o.seeds.push(value(i++, a));
        break;
      case '--kubeconfig':
        o.kubeconfig = value(i++, a);
        break;
      case '--no-kubeflow':
        o.crds = o.crds.filter(c => c !== 'kubeflow');
        break;
      case '--no-argo':
        o.crds = o.crds.filter(c => c !== 'argo');
        break;
      case '--no-kserve':
        o.crds = o.crds.filter(c => c !== 'kserve');
        break;
      case '--no-kueue':
        o.crds = o.crds.filter(c => c !== 'kueue');
        break;
      case '--no-controllers':
        o.controllers = false;
        break;
      default:
        throw new Error(`unknown argument: ${a}`);
    }
  }
  return o;
}

async function main() {
  let opts: CliOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e: any) {
    process.stderr.write(`test-kube-apiserver: ${e.message}\n`);
    process.exit(2);
  }
  const seed = opts.seeds.flatMap(f =>
    loadManifests(fs.readFileSync(f, 'utf8')),
  );
  const server = await startKubeApiServer({
    host: opts.host,
    port: opts.port,
    token: opts.token,
    tokens: opts.readOnlyToken
      ? { [opts.readOnlyToken]: { user: 'viewer', readOnly: true } }
      : undefined,
    crds: opts.crds,
    seed,
    controllers: opts.controllers,
  });
  if (opts.kubeconfig) await server.writeKubeconfig(opts.kubeconfig);
  process.stdout.write(
    `${JSON.stringify({ url: server.url, caData: server.caData })}\n`,
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) {
  main().catch(e => {
    process.stderr.write(`test-kube-apiserver: ${e?.message ?? e}\n`);
    process.exit(1);
  });
}
