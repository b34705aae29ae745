import fs from 'node:fs';
import path from 'node:path';
import { describeIfBinary, MissingBinaryError } from './binaries';
import { isPortOpen } from './ports';
import { makeTempDir, removeTempDir } from './process';
import {
  startTensorBoard,
  tensorboardBinary,
  writeTensorBoardEvents,
} from './tensorboard';

jest.setTimeout(60_000);

describe('tensorboardBinary', () => {
  it('tells a reader without the venv to run the bootstrap', () => {
    const missing = {
      ...tensorboardBinary,
      candidates: ['/nonexistent/tensorboard'],
    };
    expect(new MissingBinaryError(missing).message).toMatch(
      /Install it with: \. scripts\/bootstrap\.sh/,
    );
  });
});

describeIfBinary(tensorboardBinary)('startTensorBoard', () => {
  let logdir: string;

  beforeAll(() => {
    logdir = makeTempDir('tensorboard-logs');
    writeTensorBoardEvents(path.join(logdir, 'fraud', 'run-1'), {
      loss: [1, 0.5, 1 / 3, 0.25],
    });
  });
  afterAll(() => removeTempDir(logdir));

  it('serves the event files of its log directory through the data API, then stops', async () => {
    const tensorboard = await startTensorBoard({ logdir });
    try {
      expect(tensorboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const env = await (
        await fetch(`${tensorboard.url}/data/environment`)
      ).json();
      expect(env.data_location).toBe(logdir);

      await tensorboard.waitForRun('fraud/run-1');
      await tensorboard.waitForScalars('fraud/run-1', 'loss', 4);
      const scalars = await (
        await fetch(
          `${tensorboard.url}/data/plugin/scalars/scalars?run=fraud%2Frun-1&tag=loss`,
        )
      ).json();
      expect(scalars.map(([, step, value]: number[]) => [step, value])).toEqual(
        [
          [0, 1],
          [1, 0.5],
          [2, expect.closeTo(1 / 3, 6)],
          [3, 0.25],
        ],
      );
      await expect(
        tensorboard.waitForScalars('fraud/run-1', 'loss', 5, 300),
      ).rejects.toThrow(/had 4 of 5 points of "loss" in run "fraud\/run-1"/);
      await expect(tensorboard.waitForRun('no-such-run', 300)).rejects.toThrow(
        /did not list run "no-such-run".*lists fraud\/run-1/,
      );
    } finally {
      await tensorboard.stop();
    }
    expect(await isPortOpen(tensorboard.port)).toBe(false);
    expect(fs.existsSync(tensorboard.dir)).toBe(false);
    expect(fs.existsSync(logdir)).toBe(true);
  });
});
