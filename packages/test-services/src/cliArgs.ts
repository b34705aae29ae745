/*
 * Arguments of the test-services CLIs the demo stack runs
 * (`--port N --dir D`).
 */

/** The value after `--<name>` on the command line, if any. */
export function cliArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** `--port`: a TCP port (0, the default, lets the system pick one). */
export function cliPort(): number {
  const port = Number(cliArg('port') ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a TCP port, got "${cliArg('port')}"`);
  }
  return port;
}
