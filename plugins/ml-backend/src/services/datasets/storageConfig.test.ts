import { ConfigReader, JsonValue } from '@backstage/config';
import { readStorageConfig } from './storageConfig';

const read = (buckets: JsonValue) =>
  readStorageConfig(new ConfigReader({ ml: { storage: { s3: { buckets } } } }));

const bucket = {
  name: 'ml-raw',
  endpoint: 'http://minio.ml.internal:9000/',
  accessKeyId: 'AK',
  secretAccessKey: 'SK',
};

describe('readStorageConfig', () => {
  it('reads buckets with their defaults', () => {
    expect(read([bucket])).toEqual({
      s3Buckets: [
        {
          name: 'ml-raw',
          endpoint: 'http://minio.ml.internal:9000',
          region: 'us-east-1',
          accessKeyId: 'AK',
          secretAccessKey: 'SK',
          forcePathStyle: false,
        },
      ],
    });
    expect(readStorageConfig(new ConfigReader({}))).toEqual({ s3Buckets: [] });
  });

  it('refuses what would make the endpoint or the bucket ambiguous', () => {
    expect(() =>
      read([{ ...bucket, endpoint: 'http://minio/ml-raw' }]),
    ).toThrow(
      'ml config: ml.storage.s3.buckets[0].endpoint must be an http(s) URL without a path, like https://minio.example.com:9000, got "http://minio/ml-raw"',
    );
    expect(() => read([bucket, bucket])).toThrow(
      'ml config: ml.storage.s3.buckets[1].name "ml-raw" is configured twice',
    );
    expect(() => read([{ ...bucket, name: 'ML_Raw' }])).toThrow(
      'ml config: ml.storage.s3.buckets[0].name must be an S3 bucket name',
    );
    expect(() => read([{ ...bucket, secretAccessKey: undefined }])).toThrow(
      "Missing required config value at 'ml.storage.s3.buckets[0].secretAccessKey'",
    );
  });
});
