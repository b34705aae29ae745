import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3Handle, startS3 } from '@mlplatform/test-services';
import { S3BucketConfig } from './storageConfig';
import { S3BucketNotConfiguredError, S3Prefixes } from './S3Prefixes';

describe('S3Prefixes against s3rver', () => {
  let s3: S3Handle;
  let bucket: S3BucketConfig;
  beforeAll(async () => {
    s3 = await startS3({ buckets: ['ml-raw'] });
    bucket = {
      name: 'ml-raw',
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true,
    };
    const client = new S3Client({
      ...bucket,
      credentials: bucket,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    for (let i = 0; i < 5; i++) {
      await client.send(
        new PutObjectCommand({
          Bucket: 'ml-raw',
          Key: `paged/part-${i}.parquet`,
          Body: 'x'.repeat(100 + i),
        }),
      );
    }
    await client.send(
      new PutObjectCommand({ Bucket: 'ml-raw', Key: 'other/a', Body: 'zz' }),
    );
    s3.setLastModified(
      'ml-raw',
      'paged/part-3.parquet',
      new Date(Date.now() + 60_000),
    );
    client.destroy();
  });
  afterAll(() => s3?.stop());

  it('pages through a prefix: count, total size, newest time', async () => {
    const prefixes = new S3Prefixes([bucket], { pageSize: 2 });
    const before = (await s3.requests()).length;
    const stats = await prefixes.stats('ml-raw', 'paged/');
    expect(stats).toEqual({
      objectCount: 5,
      totalBytes: 100 + 101 + 102 + 103 + 104,
      newestObjectAt: expect.any(String),
      truncated: false,
    });
    const pages = (await s3.requests()).length - before;
    expect(pages).toBe(3); // 2 + 2 + 1 keys
    // The object whose time was moved is the newest (S3 times are to the second).
    expect(
      Math.abs(Date.parse(stats.newestObjectAt!) - (Date.now() + 60_000)),
    ).toBeLessThan(5_000);
    prefixes.close();
  });

  it('stops at maxPages and says the counts are lower bounds', async () => {
    const prefixes = new S3Prefixes([bucket], { pageSize: 2, maxPages: 2 });
    const stats = await prefixes.stats('ml-raw', 'paged/');
    expect(stats).toMatchObject({ objectCount: 4, truncated: true });
    prefixes.close();
  });

  it('refuses a bucket that is not configured before any request', async () => {
    const prefixes = new S3Prefixes([bucket]);
    const before = (await s3.requests()).length;
    const refused = prefixes.stats('ml-raw-2', '');
    await expect(refused).rejects.toThrow(S3BucketNotConfiguredError);
    await expect(refused).rejects.toThrow(
      'bucket "ml-raw-2" is not in ml.storage.s3.buckets (configured: ml-raw)',
    );
    expect((await s3.requests()).length).toBe(before);
  });
});
