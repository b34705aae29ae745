import { mockCredentials } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  AuthorizeResult,
  ConditionalPolicyDecision,
  createPermission,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  mlAuditReadPermission,
  mlModelPromotePermission,
  mlNotebookCreatePermission,
  mlNotebookManagePermission,
  mlPipelineRunPermission,
} from '@mlplatform/plugin-ml-common';
import { mlPermissionRules } from '@mlplatform/plugin-ml-backend';
import { createConditionAuthorizer } from '@backstage/plugin-permission-node';
import { MlPermissionPolicy } from './mlPermissionPolicy';

const user = (ref: string, groups: string[]): PolicyQueryUser => ({
  credentials: mockCredentials.user(ref),
  info: { userEntityRef: ref, ownershipEntityRefs: [ref, ...groups] },
});

const ALICE = user('user:default/alice', ['group:default/fraud-team']);
const CAROL = user('user:default/carol', ['group:default/recsys-team']);
const ROOT = user('user:default/root', ['group:default/platform-team']);

const policy = MlPermissionPolicy.fromConfig(new ConfigReader({}));

describe('MlPermissionPolicy', () => {
  it.each([
    ['ml.notebook.create', mlNotebookCreatePermission, 'ml-gpu-quota'],
    ['ml.notebook.manage', mlNotebookManagePermission, 'ml-gpu-quota'],
    ['ml.model.promote', mlModelPromotePermission, 'ml-model'],
    ['ml.pipeline.run', mlPipelineRunPermission, 'ml-pipeline'],
  ] as const)(
    'allows %s on the condition that the user is in the owning team',
    async (_name, permission, resourceType) => {
      const decision = await policy.handle({ permission }, ALICE);
      expect(decision).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'ml',
        resourceType,
        conditions: {
          rule: 'IS_OWNING_TEAM_MEMBER',
          resourceType,
          params: {
            claims: ['user:default/alice', 'group:default/fraud-team'],
          },
        },
      });
    },
  );

  it('lets the condition hold for a member and fail for anyone else', async () => {
    const authorize = createConditionAuthorizer(
      Object.values(mlPermissionRules.gpuQuota),
    );
    const fraudQuota = {
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      ownerRef: 'group:default/fraud-team',
    };
    const forAlice = (await policy.handle(
      { permission: mlNotebookCreatePermission },
      ALICE,
    )) as ConditionalPolicyDecision;
    const forCarol = (await policy.handle(
      { permission: mlNotebookCreatePermission },
      CAROL,
    )) as ConditionalPolicyDecision;
    expect(authorize(forAlice, fraudQuota)).toBe(true);
    expect(authorize(forCarol, fraudQuota)).toBe(false);

    const model = {
      apiVersion: 'mlplatform.io/v1alpha1',
      kind: 'Model',
      metadata: { name: 'fraud-detector', namespace: 'default' },
      spec: { owner: 'group:default/fraud-team' },
    };
    const authorizeModel = createConditionAuthorizer(
      Object.values(mlPermissionRules.model),
    );
    for (const [who, expected] of [
      [ALICE, true],
      [CAROL, false],
    ] as const) {
      const decision = await policy.handle(
        { permission: mlModelPromotePermission },
        who,
      );
      expect(authorizeModel(decision as ConditionalPolicyDecision, model)).toBe(
        expected,
      );
    }
  });

  it('lets only admin group members read the whole audit trail', async () => {
    const read = (who?: PolicyQueryUser) =>
      policy.handle({ permission: mlAuditReadPermission }, who);
    expect(await read(ROOT)).toEqual({ result: AuthorizeResult.ALLOW });
    expect(await read(ALICE)).toEqual({ result: AuthorizeResult.DENY });
    expect(await read(undefined)).toEqual({ result: AuthorizeResult.DENY });
  });

  it('takes the admin groups from ml.permissions.adminGroups', async () => {
    const configured = MlPermissionPolicy.fromConfig(
      new ConfigReader({
        ml: { permissions: { adminGroups: ['group:default/fraud-team'] } },
      }),
    );
    expect(
      await configured.handle({ permission: mlAuditReadPermission }, ALICE),
    ).toEqual({ result: AuthorizeResult.ALLOW });
    expect(
      await configured.handle({ permission: mlAuditReadPermission }, ROOT),
    ).toEqual({ result: AuthorizeResult.DENY });
  });

  it('allows everything else, as before', async () => {
    const catalogEntityReadPermission = createPermission({
      name: 'catalog.entity.read',
      attributes: { action: 'read' },
      resourceType: 'catalog-entity',
    });
    expect(
      await policy.handle({ permission: catalogEntityReadPermission }, CAROL),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });
});
