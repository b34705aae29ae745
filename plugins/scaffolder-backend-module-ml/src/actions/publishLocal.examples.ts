import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Publish the workspace to <localPublishDirectory>/churn-predictor.git and register its catalog-info.yaml',
    example: stringify({
      steps: [
        {
          id: 'publish',
          action: 'ml:publish:local',
          name: 'Publish to a local git repository',
          input: {
            repoName: 'churn-predictor',
            gitCommitMessage: 'Initial commit of churn-predictor',
          },
        },
        {
          id: 'register',
          action: 'ml:catalog:register-file',
          name: 'Register in the catalog',
          input: {
            repoContentsUrl: '${{ steps.publish.output.repoContentsUrl }}',
            catalogInfoPath: '${{ steps.publish.output.catalogInfoPath }}',
          },
        },
      ],
    }),
  },
];
