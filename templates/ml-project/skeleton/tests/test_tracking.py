"""tracking.py against a small in-process stand-in of MLflow's REST API (the
project's CI has no MLflow); the portal's own tests run the same code against
a real `mlflow server`."""

import base64
import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from ${{ values.pkg }}.tracking import MODEL_NAME, MlflowClient, MlflowError, TrainingRun, git_commit
from ${{ values.pkg }}.train import main, mlflow_record, train


class FakeMlflow:
    """Records every request; answers like MLflow 2.x/3.x does."""

    def __init__(self):
        self.requests = []
        self.experiments = {}
        self.registered = set()
        self.fail = {}  # endpoint -> (status, error_code)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                pass

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self):
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if self.headers.get("Content-Type") == "application/json" else raw
                fake.requests.append(
                    {"method": self.command, "path": url.path, "query": parse_qs(url.query),
                     "body": body, "auth": self.headers.get("Authorization")}
                )
                status, answer = fake.answer(self.command, url.path, parse_qs(url.query), body)
                self._answer(status, answer)

            do_GET = do_POST = do_PUT = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, method, path, query, body):
        endpoint = path.replace("/api/2.0/mlflow/", "")
        if endpoint in self.fail:
            status, code = self.fail[endpoint]
            return status, {"error_code": code, "message": f"{endpoint} refused"}
        if endpoint == "experiments/get-by-name":
            name = query["experiment_name"][0]
            if name not in self.experiments:
                return 404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no such experiment"}
            return 200, {"experiment": {"experiment_id": self.experiments[name], "name": name}}
        if endpoint == "experiments/create":
            self.experiments[body["name"]] = str(len(self.experiments) + 1)
            return 200, {"experiment_id": self.experiments[body["name"]]}
        if endpoint == "runs/create":
            run_id = "r" + "0" * 31
            uri = f"mlflow-artifacts:/{body['experiment_id']}/{run_id}/artifacts"
            return 200, {"run": {"info": {"run_id": run_id, "artifact_uri": uri}}}
        if endpoint == "registered-models/create":
            if body["name"] in self.registered:
                return 400, {"error_code": "RESOURCE_ALREADY_EXISTS", "message": "exists"}
            self.registered.add(body["name"])
            return 200, {"registered_model": {"name": body["name"]}}
        if endpoint == "model-versions/create":
            return 200, {"model_version": {"name": body["name"], "version": "1", "source": body["source"]}}
        return 200, {}

    def posts(self, endpoint):
        return [r["body"] for r in self.requests if r["path"] == f"/api/2.0/mlflow/{endpoint}"]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake():
    server = FakeMlflow()
    yield server
    server.close()


def test_no_tracking_without_the_environment_variable():
    assert MlflowClient.from_env({}) is None
    assert MlflowClient.from_env({"MLFLOW_TRACKING_URI": ""}) is None


def test_refuses_a_tracking_uri_that_is_not_http():
    with pytest.raises(ValueError, match="http"):
        MlflowClient("file:///tmp/mlruns")
    with pytest.raises(ValueError, match="http"):
        MlflowClient("databricks")


def test_basic_auth_and_bearer_token(fake):
    client = MlflowClient.from_env(
        {"MLFLOW_TRACKING_URI": fake.url + "/", "MLFLOW_TRACKING_USERNAME": "ada",
         "MLFLOW_TRACKING_PASSWORD": "s3cret"}
    )
    client.post("runs/update", {"run_id": "x"})
    assert fake.requests[-1]["auth"] == "Basic " + base64.b64encode(b"ada:s3cret").decode()
    assert fake.requests[-1]["path"] == "/api/2.0/mlflow/runs/update"
    MlflowClient(fake.url, token="t0k").post("runs/update", {"run_id": "x"})
    assert fake.requests[-1]["auth"] == "Bearer t0k"
    MlflowClient(fake.url).post("runs/update", {"run_id": "x"})
    assert fake.requests[-1]["auth"] is None


def test_errors_carry_the_status_and_mlflow_error_code(fake):
    fake.fail["runs/log-batch"] = (403, "PERMISSION_DENIED")
    with pytest.raises(MlflowError, match="PERMISSION_DENIED") as raised:
        MlflowClient(fake.url).log_batch("r", params={"a": 1})
    assert (raised.value.status, raised.value.error_code) == (403, "PERMISSION_DENIED")


def test_unreachable_server_is_a_clear_error():
    with pytest.raises(MlflowError, match="cannot reach"):
        MlflowClient("http://127.0.0.1:9", timeout=2).post("runs/update", {})


def test_experiment_is_created_once_then_found(fake):
    client = MlflowClient(fake.url)
    assert client.experiment_id("exp") == "1"
    assert client.experiment_id("exp") == "1"
    assert fake.posts("experiments/create") == [{"name": "exp"}]


def test_log_batch_stays_within_mlflow_limits(fake):
    metrics = {f"m{i}": i for i in range(1500)}
    params = {f"p{i}": "x" * 7000 for i in range(150)}
    MlflowClient(fake.url).log_batch("r", metrics=metrics, params=params, step=3)
    batches = fake.posts("runs/log-batch")
    assert [len(b["metrics"]) for b in batches] == [1000, 500]
    assert [len(b["params"]) for b in batches] == [100, 50]
    assert all(m["step"] == 3 for b in batches for m in b["metrics"])
    assert all(len(p["value"]) == 6000 for b in batches for p in b["params"])


def test_registering_twice_ignores_resource_already_exists(fake):
    client = MlflowClient(fake.url)
    client.register_version("m", "mlflow-artifacts:/1/r/artifacts/model", "r")
    client.register_version("m", "mlflow-artifacts:/1/r/artifacts/model", "r")
    assert len(fake.posts("model-versions/create")) == 2
    fake.fail["registered-models/create"] = (403, "PERMISSION_DENIED")
    with pytest.raises(MlflowError, match="PERMISSION_DENIED"):
        client.register_version("m", "s", "r")


def test_artifacts_outside_the_proxy_are_refused_before_any_request(fake, tmp_path):
    (tmp_path / "model.pt").write_bytes(b"x")
    with pytest.raises(MlflowError, match="s3://bucket"):
        MlflowClient(fake.url).log_artifact("s3://bucket/1/r/artifacts", tmp_path / "model.pt", "model")
    assert fake.requests == []


def test_git_commit_inside_and_outside_a_repository(tmp_path):
    assert git_commit(tmp_path) is None
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(git + ["init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "f").write_text("x")
    subprocess.run(git + ["add", "f"], cwd=tmp_path, check=True)
    subprocess.run(git + ["commit", "-q", "-m", "c"], cwd=tmp_path, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True)
    assert git_commit(tmp_path) == head.stdout.strip()


def test_training_logs_the_run_and_registers_the_model(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("LOGNAME", "ada")  # getpass.getuser() reads it first
    metrics = train(epochs=3, out=tmp_path / "model.pt", metrics_out=None, trainer="torch",
                    mlflow=MlflowClient(fake.url), run_name="first", lr=0.02)
    endpoints = [r["path"].split("/api/2.0/")[1] for r in fake.requests]
    assert endpoints[:3] == ["mlflow/experiments/get-by-name", "mlflow/experiments/create",
                             "mlflow/runs/create"]
    assert endpoints[-3:] == ["mlflow/registered-models/create", "mlflow/model-versions/create",
                              "mlflow/runs/update"]

    created = fake.posts("runs/create")[0]
    assert created["experiment_id"] == fake.experiments[MODEL_NAME]
    assert created["run_name"] == "first"
    tags = {t["key"]: t["value"] for t in created["tags"]}
    assert tags["mlflow.runName"] == "first"
    assert tags["mlflow.user"] == "ada"

    batches = fake.posts("runs/log-batch")
    params = {p["key"]: p["value"] for p in batches[0]["params"]}
    assert params["epochs"] == "3" and params["lr"] == "0.02" and params["trainer"] == "torch"
    per_epoch = [b["metrics"] for b in batches[1:4]]
    assert [{m["step"] for m in ms} for ms in per_epoch] == [{0}, {1}, {2}]
    assert {m["key"] for m in per_epoch[0]} >= {"train_loss", "val_loss"}
    last = {m["key"]: m["value"] for m in per_epoch[-1]}
    assert last["val_loss"] == pytest.approx(metrics["loss"])

    upload = next(r for r in fake.requests if r["method"] == "PUT")
    run_id = "r" + "0" * 31
    assert upload["path"] == f"/api/2.0/mlflow-artifacts/artifacts/1/{run_id}/artifacts/model/model.pt"
    assert upload["body"] == (tmp_path / "model.pt").read_bytes()
    assert fake.posts("model-versions/create")[0] == {
        "name": MODEL_NAME,
        "source": f"mlflow-artifacts:/1/{run_id}/artifacts/model",
        "run_id": run_id,
        "description": f"Trained by run {run_id}",
    }
    assert fake.posts("runs/update")[0]["status"] == "FINISHED"
    record = json.loads(mlflow_record(tmp_path / "model.pt").read_text())
    assert record["run_id"] == run_id and record["version"] == "1"


def test_a_failed_training_ends_the_run_as_failed(fake, tmp_path):
    fake.fail["model-versions/create"] = (500, "INTERNAL_ERROR")
    with pytest.raises(MlflowError):
        train(epochs=1, out=tmp_path / "model.pt", metrics_out=None, trainer="torch",
              mlflow=MlflowClient(fake.url))
    assert fake.posts("runs/update")[-1]["status"] == "FAILED"
    assert not mlflow_record(tmp_path / "model.pt").exists()


def test_command_line_logs_when_the_tracking_uri_is_set(fake, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", fake.url)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "sweeps")
    main(["--epochs", "1", "--out", str(tmp_path / "m.pt"), "--metrics", str(tmp_path / "m.json"),
          "--trainer", "torch", "--run-name", "cli"])
    captured = capsys.readouterr()
    assert json.loads(captured.out)["epochs"] == 1
    assert "MLflow run r000" in captured.err
    assert "sweeps" in fake.experiments
    assert json.loads((tmp_path / "m.mlflow.json").read_text())["experiment"] == "sweeps"


def test_training_run_record_names_everything_needed_to_find_the_run(fake):
    run = TrainingRun(MlflowClient(fake.url), experiment="e", model_name="m")
    run.start("n", {"a": 1})
    assert run.record({"version": "4"}) == {
        "tracking_uri": fake.url, "experiment": "e", "experiment_id": "1",
        "run_id": "r" + "0" * 31, "artifact_uri": "mlflow-artifacts:/1/" + "r" + "0" * 31 + "/artifacts",
        "registered_model": "m", "version": "4",
    }


def test_training_writes_tensorboard_event_files_and_tags_the_run_with_their_dir(fake, tmp_path):
    train(epochs=2, out=tmp_path / "model.pt", metrics_out=None, trainer="torch",
          mlflow=MlflowClient(fake.url), run_name="curves", tensorboard_dir=tmp_path / "tb")
    logdir = (tmp_path / "tb" / "curves").resolve()
    files = list(logdir.glob("events.out.tfevents.*"))
    assert len(files) == 1 and b"train_loss" in files[0].read_bytes()
    tags = [t for b in fake.posts("runs/log-batch") for t in b["tags"]]
    assert {"key": "mlplatform.io/tensorboard-logdir", "value": str(logdir)} in tags
