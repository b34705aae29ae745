import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Check that the fraud team can get 2 GPUs on gpu-cluster-a',
    example: stringify({
      steps: [
        {
          id: 'quota',
          action: 'ml:gpu-quota:check',
          name: 'Check GPU quota',
          input: {
            cluster: 'gpu-cluster-a',
            namespace: 'fraud',
            gpus: 2,
          },
        },
      ],
    }),
  },
];
