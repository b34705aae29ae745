import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'A 1-GPU PyTorch notebook for the fraud team',
    example: stringify({
      steps: [
        {
          id: 'notebook',
          action: 'ml:notebook:create',
          name: 'Create notebook',
          input: {
            name: 'alice-exploration',
            cluster: 'gpu-cluster-a',
            namespace: 'fraud',
            image: 'quay.io/jupyter/pytorch-notebook:2024-12-02',
            cpu: '4',
            memory: '16Gi',
            gpus: 1,
            storage: '20Gi',
          },
        },
      ],
    }),
  },
];
