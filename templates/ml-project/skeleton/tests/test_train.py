import json
import time

from ${{ values.pkg }}.data import TASK
from ${{ values.pkg }}.evaluate import evaluate
from ${{ values.pkg }}.train import main, train


def test_training_improves_the_model_quickly(tmp_path):
    started = time.monotonic()
    metrics = train(
        epochs=5,
        out=tmp_path / "model.pt",
        metrics_out=tmp_path / "metrics.json",
        trainer="torch",
    )
    assert time.monotonic() - started < 10
    assert metrics["loss"] < metrics["initial_loss"] * 0.7
    if TASK == "classifier":
        assert metrics["accuracy"] > 0.85
        assert metrics["auc"] > 0.9
    else:
        assert metrics["r2"] > 0.8
    assert json.loads((tmp_path / "metrics.json").read_text())["loss"] == metrics["loss"]


def test_training_is_deterministic(tmp_path):
    a = train(epochs=2, out=tmp_path / "a.pt", metrics_out=None, trainer="torch")
    b = train(epochs=2, out=tmp_path / "b.pt", metrics_out=None, trainer="torch")
    assert a["loss"] == b["loss"]


def test_saved_model_evaluates_to_the_training_metrics(tmp_path):
    metrics = train(epochs=3, out=tmp_path / "model.pt", metrics_out=None, trainer="torch")
    again = evaluate(tmp_path / "model.pt")
    assert abs(again["loss"] - metrics["loss"]) < 1e-6


def test_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # tests/test_tracking.py has MLflow
    main(["--epochs", "1", "--out", str(tmp_path / "m.pt"),
          "--metrics", str(tmp_path / "metrics.json"), "--trainer", "torch"])
    assert (tmp_path / "m.pt").exists()
    printed = json.loads(capsys.readouterr().out)
    assert printed["epochs"] == 1
