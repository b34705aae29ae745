/*
 * The sweep after notebook creations whose replica died mid-apply, on the
 * real stores and the test API server: what it deletes, what it leaves
 * alone (a recorded notebook, a newer creation of the same name), and that
 * a cleanup the cluster refuses is audited as failed and tried again.
 */
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import { Knex } from 'knex';
import { ns } from '../../__testUtils__/kubeSeeds';
import { AuditStore } from '../../database/AuditStore';
import { GpuReservationStore } from '../../database/GpuReservationStore';
import { NotebookStore } from '../../database/NotebookStore';
import { MlAuditor } from '../audit/MlAuditor';
import { AbandonedCreations } from './AbandonedCreations';
import { ClusterService } from './ClusterService';
import { buildNotebookObjects, collectionPath } from './manifests';
import { NotebookObjects } from './NotebookObjects';
import { testClusters } from '../../__testUtils__/testClusters';

jest.setTimeout(60_000);

describe('AbandonedCreations', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let kube: KubeApiServer;
  let clusters: ClusterService;
  let knex: Knex;
  let sweeper: AbandonedCreations;
  let reservations: GpuReservationStore;
  let store: NotebookStore;
  let audits: AuditStore;

  beforeEach(async () => {
    kube = await startKubeApiServer({
      controllers: false,
      crds: [],
      seed: [ns('fraud', { 'mlplatform.io/team': 'fraud-team' })],
    });
    clusters = testClusters({ a: kube });
    knex = await databases.init('SQLITE_3');
    const database = mockServices.database({ knex });
    reservations = await GpuReservationStore.create({ database });
    store = await NotebookStore.create({ database });
    audits = await AuditStore.create({ database });
    sweeper = new AbandonedCreations({
      reservations,
      store,
      objects: new NotebookObjects({ clusters }),
      audit: MlAuditor.create({ auditStore: audits }),
      takeOverSeconds: 60,
    });
  });

  afterEach(async () => {
    clusters.close();
    await kube.stop();
  });

  /** What a replica leaves when it dies after writing the first `written` objects. */
  async function diedWhileCreating(name: string, written: number) {
    const objects = buildNotebookObjects(
      {
        name,
        namespace: 'fraud',
        image: 'quay.io/jupyter/base-notebook:2024-11-18',
        cpu: '1',
        memory: '2Gi',
        storage: '5Gi',
        gpus: 1,
        gpuResource: 'nvidia.com/gpu',
        createdBy: 'user:default/ada',
      },
      'statefulset',
    );
    for (const { resource, ...o } of objects.slice(0, written)) {
      await clusters.client('a').request(
        'POST',
        collectionPath({ ...o, resource } as any),
        {
          verb: 'create',
          resource,
        },
        { body: o },
      );
    }
    return reservations.withClusterLock('a', lock =>
      lock.add({
        cluster: 'a',
        namespace: 'fraud',
        resource: 'nvidia.com/gpu',
        gpus: 1,
        holder: { kind: 'notebook', name },
        state: 'applying',
        expiresAt: Date.now() - 1,
      }),
    );
  }

  const names = (kind: string, apiVersion = 'v1') =>
    kube.list(apiVersion, kind, 'fraud').map((o: any) => o.metadata.name);

  it('deletes what was created of an abandoned notebook and audits it; leaves a recorded one alone, and one created again until that creation ends', async () => {
    await diedWhileCreating('half', 2);
    await diedWhileCreating('done', 3);
    await store.add({
      cluster: 'a',
      namespace: 'fraud',
      name: 'done',
      createdBy: 'user:default/ada',
      spec: {
        image: 'x',
        cpu: '1',
        memory: '2Gi',
        gpus: 1,
        gpuResource: 'nvidia.com/gpu',
        backend: 'statefulset',
      } as any,
    });
    await diedWhileCreating('again', 1);
    // The user asked again on another replica; that creation is under way.
    await reservations.withClusterLock('a', lock =>
      lock.add({
        cluster: 'a',
        namespace: 'fraud',
        resource: 'nvidia.com/gpu',
        gpus: 1,
        holder: { kind: 'notebook', name: 'again' },
        state: 'applying',
        expiresAt: Date.now() + 60_000,
      }),
    );

    const done = await sweeper.sweep();
    expect(done.map(d => [d.notebook, d.outcome, d.deleted]).sort()).toEqual([
      ['again', 'waiting', []],
      ['done', 'finished', []],
      [
        'half',
        'cleaned',
        ['Service/half', 'PersistentVolumeClaim/half-workspace'],
      ],
    ]);
    expect(names('Service')).toEqual(['done']);
    expect(names('PersistentVolumeClaim').sort()).toEqual([
      'again-workspace',
      'done-workspace',
    ]);
    expect(names('StatefulSet', 'apps/v1')).toEqual(['done']);
    // The abandoned 'again' no longer counts; its live retry does.
    const live = () =>
      reservations
        .all()
        .then(all =>
          all.map(r => [r.holder.name, r.state, r.expiresAt > Date.now()]),
        );
    expect(await live()).toEqual([
      ['again', 'applying', false],
      ['again', 'applying', true],
    ]);
    const audit = await audits.list({ action: 'ml.notebook.delete' });
    expect(audit.map(e => [e.actor, e.targetRef, e.outcome])).toEqual([
      ['plugin:ml', 'notebook:a/fraud/half', 'succeeded'],
    ]);

    // The retry failed on the PVC the dead replica left and was rolled
    // back: the next sweep cleans that PVC up.
    const [retry] = (await reservations.all()).filter(
      r => r.expiresAt > Date.now(),
    );
    await reservations.release(retry.id);
    expect(await sweeper.sweep()).toEqual([
      {
        cluster: 'a',
        namespace: 'fraud',
        notebook: 'again',
        outcome: 'cleaned',
        deleted: ['PersistentVolumeClaim/again-workspace'],
      },
    ]);
    expect(names('PersistentVolumeClaim')).toEqual(['done-workspace']);
    expect(await reservations.all()).toEqual([]);
    expect(await sweeper.sweep()).toEqual([]);
  });

  it('audits a cleanup the cluster refuses as failed and tries it again once the takeover expires', async () => {
    await diedWhileCreating('stuck', 2);
    kube.setFault({ status: 500, match: r => r.method === 'DELETE' });
    const [first] = await sweeper.sweep();
    expect(first).toMatchObject({ notebook: 'stuck', outcome: 'failed' });
    expect(first.error).toMatch(
      /could not delete every object of abandoned notebook stuck/,
    );
    // Taken over: it counts again until the takeover expires.
    const [held] = await reservations.all();
    expect(held.expiresAt).toBeGreaterThan(Date.now());
    expect(await sweeper.sweep()).toEqual([]);

    kube.setFault(null);
    await knex('ml_gpu_reservations').update({ expires_at: Date.now() - 1 });
    const [second] = await sweeper.sweep();
    expect(second).toMatchObject({ notebook: 'stuck', outcome: 'cleaned' });
    expect(await reservations.all()).toEqual([]);
    const audit = await audits.list({ action: 'ml.notebook.delete' });
    expect(audit.map(e => e.outcome).sort()).toEqual(['failed', 'succeeded']);
  });
});
