import { z } from 'zod';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createConditionAuthorizer } from '@backstage/plugin-permission-node';
import {
  mlAuditReadPermission,
  mlModelPromotePermission,
  mlNotebookCreatePermission,
  mlNotebookManagePermission,
  mlPipelineRunPermission,
} from '@mlplatform/plugin-ml-common';
import {
  createMlPermissionConditionalDecision,
  isMlResourcePermission,
  mlConditions,
  mlIsOwningTeamMember,
} from './conditions';
import { entityOwnerRefs, mlPermissionRules } from './rules';

const FRAUD = 'group:default/fraud-team';
const ALICE_CLAIMS = ['user:default/alice', FRAUD];

const model = (extra: object = {}) => ({
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: { name: 'fraud-detector', namespace: 'default' },
  spec: { owner: 'fraud-team' },
  ...extra,
});

describe('IS_OWNING_TEAM_MEMBER', () => {
  it('matches a GPU quota owned by one of the claims, and nothing without an owner', () => {
    const rule = mlPermissionRules.gpuQuota.isOwningTeamMember;
    const quota = { cluster: 'a', namespace: 'fraud', ownerRef: FRAUD };
    expect(rule.apply(quota, { claims: ALICE_CLAIMS })).toBe(true);
    expect(rule.apply(quota, { claims: ['group:default/recsys-team'] })).toBe(
      false,
    );
    expect(
      rule.apply(
        { cluster: 'a', namespace: 'scratch' },
        { claims: ALICE_CLAIMS },
      ),
    ).toBe(false);
    expect(rule.toQuery({ claims: [FRAUD] })).toEqual({
      key: 'owner',
      values: [FRAUD],
    });
  });

  it('reads an entity owner from ownedBy relations, else from spec.owner in the entity namespace', () => {
    expect(entityOwnerRefs(model())).toEqual([FRAUD]);
    expect(
      entityOwnerRefs(
        model({ metadata: { name: 'x', namespace: 'research' } }),
      ),
    ).toEqual(['group:research/fraud-team']);
    expect(
      entityOwnerRefs(
        model({
          relations: [
            { type: 'ownedBy', targetRef: 'group:default/recsys-team' },
            { type: 'dependsOn', targetRef: FRAUD },
          ],
        }),
      ),
    ).toEqual(['group:default/recsys-team']);
    expect(entityOwnerRefs(model({ spec: {} }))).toEqual([]);

    const rule = mlPermissionRules.model.isOwningTeamMember;
    expect(rule.apply(model(), { claims: ALICE_CLAIMS })).toBe(true);
    expect(rule.apply(model(), { claims: ['user:default/carol'] })).toBe(false);
    expect(
      mlPermissionRules.pipeline.isOwningTeamMember.apply(
        { ...model(), kind: 'Pipeline' },
        { claims: ALICE_CLAIMS },
      ),
    ).toBe(true);
  });

  it('rejects parameters that are not a list of claims', () => {
    // The rule is built with a zod schema (createPermissionRule also takes
    // other Standard Schemas, hence the wider type).
    const schema = mlPermissionRules.gpuQuota.isOwningTeamMember
      .paramsSchema as z.ZodType<{ claims: string[] }>;
    expect(schema.safeParse({ claims: [FRAUD] }).success).toBe(true);
    expect(schema.safeParse({ claims: FRAUD }).success).toBe(false);
  });
});

describe('conditions for policy authors', () => {
  it('builds a conditional decision for each ML resource permission, on its own resource type', () => {
    for (const [permission, resourceType] of [
      [mlNotebookCreatePermission, 'ml-gpu-quota'],
      [mlNotebookManagePermission, 'ml-gpu-quota'],
      [mlModelPromotePermission, 'ml-model'],
      [mlPipelineRunPermission, 'ml-pipeline'],
    ] as const) {
      expect(isMlResourcePermission(permission)).toBe(true);
      const decision = createMlPermissionConditionalDecision(
        permission,
        mlIsOwningTeamMember(permission, ALICE_CLAIMS),
      );
      expect(decision).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'ml',
        resourceType,
        conditions: {
          rule: 'IS_OWNING_TEAM_MEMBER',
          resourceType,
          params: { claims: ALICE_CLAIMS },
        },
      });
    }
    expect(isMlResourcePermission(mlAuditReadPermission)).toBe(false);
    expect(
      isMlResourcePermission({
        type: 'resource',
        resourceType: 'catalog-entity',
      }),
    ).toBe(false);
  });

  it('evaluates to allow for a member and deny for anyone else', () => {
    const authorize = createConditionAuthorizer(
      Object.values(mlPermissionRules.gpuQuota),
    );
    const decision = createMlPermissionConditionalDecision(
      mlNotebookCreatePermission,
      mlConditions.gpuQuota.isOwningTeamMember({ claims: ALICE_CLAIMS }),
    );
    const quota = { cluster: 'a', namespace: 'fraud', ownerRef: FRAUD };
    expect(authorize(decision, quota)).toBe(true);
    expect(
      authorize(decision, { ...quota, ownerRef: 'group:default/nlp-team' }),
    ).toBe(false);
    expect(authorize(decision, undefined)).toBe(false);
  });
});
