/**
 * The jupyterhub_config.py that {@link startJupyterHub} writes. Kept apart
 * from the process handling because it is Python in a TypeScript string:
 * every value goes in through JSON (a valid Python literal for strings,
 * numbers and lists), never by pasting text into code.
 */

/** Values the generated config needs. */
export interface JupyterHubConfigValues {
  /** Public (proxy) URL, e.g. `http://127.0.0.1:41234`. */
  bindUrl: string;
  /** Where the hub itself listens; only the proxy and servers call it. */
  hubBindUrl: string;
  /** The proxy's REST API; the hub configures routes through it. */
  proxyApiUrl: string;
  proxyAuthToken: string;
  proxyCommand: string[];
  dbUrl: string;
  cookieSecretFile: string;
  /** `jupyterhub-singleuser` of the same venv. */
  singleuserCommand: string;
  /** Home directories of the users: `<dir>/home/<user>`. */
  homeTemplate: string;
  /** Each spawn's user_options are written here as `<user>--<server>.json`. */
  spawnRecordDir: string;
  serviceName: string;
  serviceToken: string;
  /** Users a browser may log in as (DummyAuthenticator, no password check). */
  password?: string;
  startTimeoutSeconds: number;
  /** Milliseconds to wait after each progress step (a slow image pull). */
  progressStepDelayMs: number;
}

const py = (value: unknown) => JSON.stringify(value);

/**
 * Scopes of the portal's service: create users, start/stop/delete their
 * named servers, read their state and progress, and reach a server through
 * the proxy to check that it answers. This is the least the portal needs on
 * a real JupyterHub too (docs/notebooks.md).
 */
export const jupyterHubServiceScopes = [
  'admin:users',
  'admin:servers',
  'access:servers',
];

/** Renders jupyterhub_config.py. */
export function renderJupyterHubConfig(v: JupyterHubConfigValues): string {
  return `# Written by @mlplatform/test-services startJupyterHub(); not for production.
import json, os, asyncio
from jupyterhub.spawner import SimpleLocalProcessSpawner

c = get_config()  # noqa

c.JupyterHub.bind_url = ${py(v.bindUrl)}
c.JupyterHub.hub_bind_url = ${py(v.hubBindUrl)}
c.JupyterHub.db_url = ${py(v.dbUrl)}
c.JupyterHub.cookie_secret_file = ${py(v.cookieSecretFile)}
c.JupyterHub.allow_named_servers = True
c.JupyterHub.named_server_limit_per_user = 0
# The hub stops its servers and the proxy when it stops (SIGTERM).
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
# Answer spawn and stop requests at once (202) instead of holding them up to 10 s:
# callers follow a spawn on its progress stream and a stop in the user model.
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0, "slow_stop_timeout": 0}

c.ConfigurableHTTPProxy.command = ${py(v.proxyCommand)}
c.ConfigurableHTTPProxy.api_url = ${py(v.proxyApiUrl)}
c.ConfigurableHTTPProxy.auth_token = ${py(v.proxyAuthToken)}
c.ConfigurableHTTPProxy.should_start = True

c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
${v.password ? `c.DummyAuthenticator.password = ${py(v.password)}` : ''}

c.JupyterHub.services = [
    {"name": ${py(v.serviceName)}, "api_token": ${py(v.serviceToken)}},
]
c.JupyterHub.load_roles = [
    {
        "name": ${py(`${v.serviceName}-role`)},
        "scopes": ${py(jupyterHubServiceScopes)},
        "services": [${py(v.serviceName)}],
    },
]

SPAWN_RECORDS = ${py(v.spawnRecordDir)}
STEP_DELAY = ${py(v.progressStepDelayMs / 1000)}


class ProfileSpawner(SimpleLocalProcessSpawner):
    """A local JupyterLab per named server that takes the portal's profile
    (GPU count and type, CPU, memory, image) as user_options, the way
    KubeSpawner takes a profile_list entry: recorded in a file and in the
    server's environment, since a local process cannot request a GPU."""

    def _profile(self):
        return dict(self.user_options or {})

    def get_env(self):
        env = super().get_env()
        for key, value in self._profile().items():
            env["MLP_PROFILE_" + str(key).upper()] = str(value)
        return env

    async def start(self):
        os.makedirs(SPAWN_RECORDS, exist_ok=True)
        record = os.path.join(SPAWN_RECORDS, f"{self.user.name}--{self.name}.json")
        with open(record, "w") as f:
            json.dump(self._profile(), f)
        if STEP_DELAY:
            await asyncio.sleep(STEP_DELAY * 2)
        return await super().start()

    async def progress(self):
        p = self._profile()
        wanted = ", ".join(
            f"{k} {p[k]}" for k in ("gpus", "gpuType", "cpu", "memory") if k in p
        )
        yield {"progress": 10, "message": f"Requesting {wanted or 'a server'}"}
        if STEP_DELAY:
            await asyncio.sleep(STEP_DELAY)
        yield {"progress": 40, "message": f"Pulling image {p.get('image', 'default')}"}
        if STEP_DELAY:
            await asyncio.sleep(STEP_DELAY)
        yield {"progress": 70, "message": "Starting JupyterLab"}


c.JupyterHub.spawner_class = ProfileSpawner
c.SimpleLocalProcessSpawner.home_dir_template = ${py(v.homeTemplate)}
c.Spawner.cmd = [${py(v.singleuserCommand)}]
# CI runs as root; JupyterLab refuses root without this.
c.Spawner.args = ["--allow-root"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = ${py(v.startTimeoutSeconds)}
c.Spawner.http_timeout = ${py(v.startTimeoutSeconds)}
c.Spawner.env_keep = ["PATH", "LANG", "LC_ALL", "JUPYTERHUB_SINGLEUSER_APP"]
`;
}
