import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import { NotebookRef } from '@mlplatform/plugin-ml-common';
import { MlService } from '@mlplatform/plugin-ml-node';

/** Longest a template run waits for a JupyterHub notebook to start. */
const SPAWN_TIMEOUT_MS = 10 * 60_000;

/**
 * Follows a JupyterHub notebook's spawn in the scaffolder run's log (each
 * progress message with its percent) until it is ready; resolves with the
 * URL to open. Throws with JupyterHub's reason when the spawn failed.
 *
 * @internal
 */
export async function followSpawn(
  ml: MlService,
  ref: NotebookRef,
  credentials: BackstageCredentials,
  logger: Pick<LoggerService, 'info'>,
): Promise<string | undefined> {
  if (!ml.followNotebookProgress) return undefined;
  for await (const event of ml.followNotebookProgress(ref, {
    credentials,
    signal: AbortSignal.timeout(SPAWN_TIMEOUT_MS),
  })) {
    if (event.failed) {
      throw new ServiceUnavailableError(
        `notebook ${ref.name} did not start: ${
          event.message ?? 'the spawn failed'
        }`,
      );
    }
    if (event.message) {
      logger.info(
        `${event.progress !== undefined ? `${event.progress}% ` : ''}${
          event.message
        }`,
      );
    }
    if (event.ready) return event.url;
  }
  return undefined;
}
