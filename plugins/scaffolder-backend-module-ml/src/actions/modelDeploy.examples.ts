import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Serve version v3 of fraud-detector in the fraud namespace, 1 GPU per replica, 1 to 3 replicas, and write the manifests to k8s/',
    example: stringify({
      steps: [
        {
          id: 'deploy',
          action: 'ml:model:deploy',
          name: 'Deploy the model',
          input: {
            model: 'model:default/fraud-detector',
            name: 'fraud-detector-v3',
            version: 'v3',
            cluster: 'gpu-cluster-a',
            namespace: 'fraud',
            gpus: 1,
            minReplicas: 1,
            maxReplicas: 3,
          },
        },
      ],
    }),
  },
  {
    description:
      'Only check and write the manifests, for a GitOps tool to apply',
    example: stringify({
      steps: [
        {
          id: 'deploy',
          action: 'ml:model:deploy',
          name: 'Write the deployment manifests',
          input: {
            model: 'model:default/support-assistant-llm',
            name: 'support-assistant',
            version: '4',
            runtime: 'vllm-openai',
            cluster: 'gpu-cluster-a',
            namespace: 'nlp',
            gpus: 1,
            maxReplicas: 2,
            apply: false,
          },
        },
      ],
    }),
  },
];
