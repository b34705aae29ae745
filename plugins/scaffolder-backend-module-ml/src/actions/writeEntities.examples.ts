import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Write the entities of a fraud detection model trained on S3 data',
    example: stringify({
      steps: [
        {
          id: 'entities',
          action: 'ml:catalog:write-entities',
          name: 'Write ML entities',
          input: {
            name: 'fraud-detector',
            owner: 'group:default/fraud-team',
            modelType: 'classifier',
            datasetLocation: 's3://ml-data/fraud/transactions',
            registry: 'oci://registry.example.com/models/fraud-detector',
          },
        },
      ],
    }),
  },
];
