"""Logs a training run to MLflow over its REST API 2.0, standard library only.

Used by train.py when MLFLOW_TRACKING_URI is set. It does not need the
`mlflow` package: Debian's python3-torch has no matching mlflow, and one code
path everywhere (laptop, CI, the cluster) is easier to trust. It speaks the
same endpoints the `mlflow` client does:

- experiments/get-by-name, experiments/create (the experiment is created on
  first use),
- runs/create, runs/log-batch (params, metrics with step, tags), runs/update,
- the artifact proxy of `mlflow server` (PUT /api/2.0/mlflow-artifacts/
  artifacts/...) for the model file,
- registered-models/create (RESOURCE_ALREADY_EXISTS is fine) and
  model-versions/create with the run's artifact URI as the source.

Environment: MLFLOW_TRACKING_URI (http[s]://host[:port][/prefix]),
MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (basic auth) or
MLFLOW_TRACKING_TOKEN (bearer), MLFLOW_EXPERIMENT_NAME (else the model's name).
"""

import base64
import getpass
import json
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

#: The registered model and, unless MLFLOW_EXPERIMENT_NAME says otherwise, the experiment.
MODEL_NAME = "${{ values.name }}"

# MLflow's limits per runs/log-batch request.
_MAX_METRICS, _MAX_PARAMS, _MAX_TAGS = 1000, 100, 100
_MAX_PARAM_LENGTH = 6000


class MlflowError(Exception):
    """An MLflow request that failed: its HTTP status and MLflow's error code."""

    def __init__(self, message: str, status: int = 0, error_code: str = ""):
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class MlflowClient:
    """Just enough of MLflow's REST API for a training run."""

    def __init__(
        self,
        tracking_uri: str,
        username: Optional[str] = None,
        password: Optional[str] = None,
        token: Optional[str] = None,
        timeout: float = 30.0,
    ):
        parsed = urllib.parse.urlparse(tracking_uri)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(
                f"MLFLOW_TRACKING_URI must be http(s)://host[:port], not {tracking_uri!r}"
            )
        self.base = tracking_uri.rstrip("/")
        self.timeout = timeout
        self.headers: Dict[str, str] = {}
        if username is not None and password is not None:
            pair = f"{username}:{password}".encode()
            self.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        elif token:
            self.headers["Authorization"] = f"Bearer {token}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Optional["MlflowClient"]:
        """A client for MLFLOW_TRACKING_URI, or None when it is not set."""
        uri = env.get("MLFLOW_TRACKING_URI")
        if not uri:
            return None
        return cls(
            uri,
            username=env.get("MLFLOW_TRACKING_USERNAME"),
            password=env.get("MLFLOW_TRACKING_PASSWORD"),
            token=env.get("MLFLOW_TRACKING_TOKEN"),
        )

    def _request(self, method: str, path: str, body: Optional[bytes], content_type: str):
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                text = res.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", "replace")
            try:
                error = json.loads(text)
            except ValueError:
                error = {}
            code = error.get("error_code", "") if isinstance(error, dict) else ""
            message = error.get("message", text) if isinstance(error, dict) else text
            raise MlflowError(
                f"MLflow {method} {path} -> {e.code} {code}: {message}".strip(), e.code, code
            ) from None
        except urllib.error.URLError as e:
            raise MlflowError(f"MLflow {method} {path}: cannot reach {self.base}: {e.reason}") from None
        return json.loads(text) if text.strip() else {}

    def get(self, endpoint: str, **params: str) -> Dict[str, Any]:
        query = urllib.parse.urlencode(params)
        return self._request("GET", f"/api/2.0/mlflow/{endpoint}?{query}", None, "")

    def post(self, endpoint: str, body: Dict[str, Any]) -> Dict[str, Any]:
        data = json.dumps(body).encode("utf-8")
        return self._request("POST", f"/api/2.0/mlflow/{endpoint}", data, "application/json")

    def experiment_id(self, name: str) -> str:
        """The id of the experiment `name`, created when it does not exist."""
        try:
            return self.get("experiments/get-by-name", experiment_name=name)["experiment"][
                "experiment_id"
            ]
        except MlflowError as e:
            if e.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
        try:
            return self.post("experiments/create", {"name": name})["experiment_id"]
        except MlflowError as e:
            if e.error_code != "RESOURCE_ALREADY_EXISTS":  # created meanwhile
                raise
        return self.get("experiments/get-by-name", experiment_name=name)["experiment"][
            "experiment_id"
        ]

    def create_run(self, experiment_id: str, run_name: str, tags: Mapping[str, str]) -> Dict[str, Any]:
        """Starts a run; returns its `info` (run_id, artifact_uri, ...)."""
        body = {
            "experiment_id": experiment_id,
            "run_name": run_name,
            "user_id": tags.get("mlflow.user", ""),
            "start_time": _now_ms(),
            "tags": [{"key": k, "value": str(v)} for k, v in tags.items()],
        }
        return self.post("runs/create", body)["run"]["info"]

    def log_batch(
        self,
        run_id: str,
        metrics: Optional[Mapping[str, float]] = None,
        step: int = 0,
        params: Optional[Mapping[str, Any]] = None,
        tags: Optional[Mapping[str, str]] = None,
    ) -> None:
        """Logs metrics (all at `step`), params and tags, split into requests
        within MLflow's per-request limits."""
        timestamp = _now_ms()
        metric_list = [
            {"key": k, "value": float(v), "timestamp": timestamp, "step": int(step)}
            for k, v in (metrics or {}).items()
        ]
        param_list = [
            {"key": k, "value": str(v)[:_MAX_PARAM_LENGTH]} for k, v in (params or {}).items()
        ]
        tag_list = [{"key": k, "value": str(v)} for k, v in (tags or {}).items()]
        while metric_list or param_list or tag_list:
            body = {
                "run_id": run_id,
                "metrics": metric_list[:_MAX_METRICS],
                "params": param_list[:_MAX_PARAMS],
                "tags": tag_list[:_MAX_TAGS],
            }
            metric_list = metric_list[_MAX_METRICS:]
            param_list = param_list[_MAX_PARAMS:]
            tag_list = tag_list[_MAX_TAGS:]
            self.post("runs/log-batch", body)

    def end_run(self, run_id: str, status: str = "FINISHED") -> None:
        """Ends a run as FINISHED, FAILED or KILLED."""
        self.post("runs/update", {"run_id": run_id, "status": status, "end_time": _now_ms()})

    def log_artifact(self, artifact_uri: str, local_path: Path, artifact_path: str) -> str:
        """Uploads a file into the run's artifacts through the tracking
        server's artifact proxy; returns its URI. Only `mlflow-artifacts:`
        URIs (what `mlflow server` gives runs by default) can be uploaded
        without a storage client."""
        prefix = "mlflow-artifacts:"
        if not artifact_uri.startswith(prefix):
            raise MlflowError(
                f"the run's artifacts live at {artifact_uri}; only {prefix} URIs "
                "(mlflow server with --serve-artifacts, its default) are uploaded"
            )
        location = urllib.parse.urlparse(artifact_uri).path.lstrip("/")
        target = f"{location}/{artifact_path.strip('/')}/{Path(local_path).name}"
        path = "/api/2.0/mlflow-artifacts/artifacts/" + urllib.parse.quote(target)
        self._request("PUT", path, Path(local_path).read_bytes(), "application/octet-stream")
        return f"{artifact_uri.rstrip('/')}/{artifact_path.strip('/')}"

    def register_version(self, name: str, source: str, run_id: str, description: str = "") -> Dict[str, Any]:
        """Registers `source` (an artifact URI of run `run_id`) as a new
        version of the registered model `name`, created on first use."""
        try:
            self.post("registered-models/create", {"name": name})
        except MlflowError as e:
            if e.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        body = {"name": name, "source": source, "run_id": run_id}
        if description:
            body["description"] = description
        return self.post("model-versions/create", body)["model_version"]


def _now_ms() -> int:
    return int(time.time() * 1000)


def git_commit(cwd: Optional[Path] = None) -> Optional[str]:
    """The HEAD commit of the git repository around `cwd`, if any."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and len(commit) == 40 else None


def run_tags(run_name: str, source: str, cwd: Optional[Path] = None) -> Dict[str, str]:
    """The system tags the `mlflow` client sets on a run."""
    tags = {
        "mlflow.runName": run_name,
        "mlflow.user": _user(),
        "mlflow.source.type": "LOCAL",
        "mlflow.source.name": source,
    }
    commit = git_commit(cwd)
    if commit:
        tags["mlflow.source.git.commit"] = commit
    return tags


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. a container's random uid
        return "unknown"


class TrainingRun:
    """One training run in MLflow: started by `start`, then `log_epoch` per
    epoch, `finish` with the model file (logged, registered), or `fail`."""

    def __init__(self, client: MlflowClient, experiment: str = "", model_name: str = MODEL_NAME):
        self.client = client
        self.experiment = experiment or os.environ.get("MLFLOW_EXPERIMENT_NAME") or model_name
        self.model_name = model_name
        self.run_id = ""
        self.artifact_uri = ""
        self.experiment_id = ""

    def start(self, run_name: str, params: Mapping[str, Any], source: str = "train.py") -> str:
        self.experiment_id = self.client.experiment_id(self.experiment)
        info = self.client.create_run(self.experiment_id, run_name, run_tags(run_name, source))
        self.run_id = info["run_id"]
        self.artifact_uri = info["artifact_uri"]
        self.client.log_batch(self.run_id, params=params)
        return self.run_id

    def log_epoch(self, epoch: int, metrics: Mapping[str, float]) -> None:
        self.client.log_batch(self.run_id, metrics=metrics, step=epoch)

    def finish(self, model_file: Path, summary: Mapping[str, float], step: int) -> Dict[str, Any]:
        """Logs the summary metrics and the model file (artifact path `model`),
        registers it as a version of the registered model, ends the run."""
        self.client.log_batch(self.run_id, metrics=summary, step=step)
        source = self.client.log_artifact(self.artifact_uri, model_file, "model")
        version = self.client.register_version(
            self.model_name, source, self.run_id, description=f"Trained by run {self.run_id}"
        )
        self.client.end_run(self.run_id, "FINISHED")
        return version

    def fail(self) -> None:
        if self.run_id:
            self.client.end_run(self.run_id, "FAILED")

    def record(self, version: Mapping[str, Any]) -> Dict[str, Any]:
        """What is written next to the checkpoint."""
        return {
            "tracking_uri": self.client.base,
            "experiment": self.experiment,
            "experiment_id": self.experiment_id,
            "run_id": self.run_id,
            "artifact_uri": self.artifact_uri,
            "registered_model": self.model_name,
            "version": version.get("version"),
        }
