import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Who a commit is written as. */
export interface GitAuthor {
  name: string;
  email: string;
}

/**
 * Runs the git CLI without ever prompting, with the system and user git
 * config ignored, so a developer's signing or hook settings cannot change
 * what the scaffolder writes.
 *
 * @internal
 */
export async function git(
  args: string[],
  options: { cwd?: string; author?: GitAuthor } = {},
): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
  if (options.author) {
    env.GIT_AUTHOR_NAME = options.author.name;
    env.GIT_AUTHOR_EMAIL = options.author.email;
    env.GIT_COMMITTER_NAME = options.author.name;
    env.GIT_COMMITTER_EMAIL = options.author.email;
  }
  try {
    const { stdout } = await execFileAsync('git', args, {
      cwd: options.cwd,
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout.trim();
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`git ${args[0]} failed: ${(e.stderr || e.message).trim()}`);
  }
}
