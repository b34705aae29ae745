"""Trains the model and writes it with its metrics.

    python -m ${{ values.pkg }}.train --epochs 5 --out model.pt

With Lightning installed (`--trainer lightning`, the default when it is
importable) the LightningModule of model.py is trained by a Lightning Trainer;
otherwise a plain PyTorch loop does the same optimisation.

With MLFLOW_TRACKING_URI set, the run is logged to MLflow (tracking.py):
hyperparameters, per-epoch metrics (step = epoch), the model file, and a new
version of the registered model "${{ values.name }}". The run id is printed and
written next to the model (model.pt -> model.mlflow.json).

With TENSORBOARD_LOG_DIR (or --tensorboard-dir) set, the per-epoch metrics are
also written as TensorBoard event files (tensorboard_log.py) in a directory of
the run under it, and the MLflow run is tagged mlplatform.io/tensorboard-logdir
with that directory, so the portal shows the curves and opens TensorBoard.
"""

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Callable, Dict, Optional

import torch

from .data import TASK, data_loaders
from .model import MLP, evaluate_batches, lightning_module, loss_fn
from .tensorboard_log import RUN_TAG, EventFileWriter
from .tracking import MODEL_NAME, MlflowClient, TrainingRun

#: Called after each epoch with the epoch (0-based) and its metrics.
EpochCallback = Callable[[int, Dict[str, float]], None]


def _fit_torch(model, train_loader, val_loader, epochs: int, lr: float, on_epoch: EpochCallback) -> None:
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    loss = loss_fn(TASK)
    val_batches = list(val_loader)
    for epoch in range(epochs):
        model.train()
        total, count = 0.0, 0
        for x, y in train_loader:
            optimiser.zero_grad()
            batch_loss = loss(model(x), y)
            batch_loss.backward()
            optimiser.step()
            total += float(batch_loss) * len(y)
            count += len(y)
        val = evaluate_batches(model, val_batches)
        on_epoch(epoch, {"train_loss": total / count, **{f"val_{k}": v for k, v in val.items()}})


def _fit_lightning(model, train_loader, val_loader, epochs: int, lr: float, on_epoch: EpochCallback) -> None:
    import lightning as L

    class EpochMetrics(L.Callback):
        # Runs after the epoch's validation, so val_* are this epoch's.
        def on_train_epoch_end(self, trainer, _module):
            metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
            on_epoch(trainer.current_epoch, metrics)

    trainer = L.Trainer(
        callbacks=[EpochMetrics()],
        max_epochs=epochs,
        accelerator="auto",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        deterministic=True,
    )
    trainer.fit(lightning_module(model, lr=lr), train_loader, val_loader)


def _ignore_epoch(_epoch: int, _metrics: Dict[str, float]) -> None:
    pass


def train(
    epochs: int = 5,
    out: Path = Path("model.pt"),
    metrics_out: Optional[Path] = Path("metrics.json"),
    data: Optional[Path] = None,
    seed: int = 0,
    lr: float = 1e-2,
    batch_size: int = 64,
    trainer: str = "auto",
    mlflow: Optional[MlflowClient] = None,
    run_name: Optional[str] = None,
    tensorboard_dir: Optional[Path] = None,
) -> Dict[str, float]:
    """Trains, saves the model to `out` and returns the validation metrics.
    With an MLflow client, logs the run and registers the model (tracking.py).
    With `tensorboard_dir`, writes the epochs' metrics as TensorBoard event
    files in `tensorboard_dir/<run name>` (tensorboard_log.py)."""
    if trainer == "auto":
        trainer = "lightning" if importlib.util.find_spec("lightning") else "torch"
    torch.manual_seed(seed)
    train_loader, val_loader, n_features = data_loaders(data, batch_size, seed)
    model = MLP(n_features)
    run = TrainingRun(mlflow) if mlflow else None
    run_name = run_name or time.strftime(f"{MODEL_NAME}-%Y%m%d-%H%M%S")
    if run:
        params = {"epochs": epochs, "lr": lr, "batch_size": batch_size, "seed": seed,
                  "trainer": trainer, "task": TASK, "data": str(data) if data else "synthetic",
                  **model.config()}
        run.start(run_name, params, source=f"{__package__}.train")
    events = None
    try:
        if tensorboard_dir:
            events = EventFileWriter(Path(tensorboard_dir) / run_name)
            if run:
                run.client.log_batch(run.run_id, tags={RUN_TAG: str(events.logdir)})
        before = evaluate_batches(model, list(val_loader))
        write_events = (lambda epoch, m: events.add_scalars(m, step=epoch)) if events else None
        on_epoch = _each(run.log_epoch if run else None, write_events)
        started = time.monotonic()
        if trainer == "lightning":
            _fit_lightning(model, train_loader, val_loader, epochs, lr, on_epoch)
        else:
            _fit_torch(model, train_loader, val_loader, epochs, lr, on_epoch)
        metrics = evaluate_batches(model, list(val_loader))
        metrics["initial_loss"] = before["loss"]
        metrics["epochs"] = epochs
        metrics["train_seconds"] = round(time.monotonic() - started, 3)

        out.parent.mkdir(parents=True, exist_ok=True)
        torch.save(
            {"state_dict": model.state_dict(), "config": model.config(), "task": TASK},
            out,
        )
        if metrics_out:
            metrics_out.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
        if run:
            summary = {k: v for k, v in metrics.items() if k != "epochs"}
            version = run.finish(out, summary, step=epochs)
            record = run.record(version)
            mlflow_record(out).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
            print(
                f"MLflow run {run.run_id} in experiment {run.experiment!r}; "
                f"version {record['version']} of registered model {run.model_name!r}",
                file=sys.stderr,
            )
    except BaseException:
        if run:
            run.fail()
        raise
    finally:
        if events:
            events.close()
    return metrics


def _each(*callbacks: Optional[EpochCallback]) -> EpochCallback:
    """One epoch callback calling each of `callbacks` that is set."""
    live = [c for c in callbacks if c]
    if not live:
        return _ignore_epoch

    def on_epoch(epoch: int, metrics: Dict[str, float]) -> None:
        for callback in live:
            callback(epoch, metrics)

    return on_epoch


def mlflow_record(model_path: Path) -> Path:
    """Where the MLflow run of a model file is written: model.pt -> model.mlflow.json."""
    return model_path.with_suffix(".mlflow.json")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("model.pt"))
    parser.add_argument("--metrics", type=Path, default=Path("metrics.json"))
    parser.add_argument("--data", type=Path, help="a local CSV instead of synthetic data")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--trainer", choices=["auto", "torch", "lightning"], default="auto")
    parser.add_argument("--run-name", help="the MLflow run's name (with MLFLOW_TRACKING_URI)")
    parser.add_argument(
        "--tensorboard-dir",
        type=Path,
        default=os.environ.get("TENSORBOARD_LOG_DIR") or None,
        help="write TensorBoard event files under this directory (default: $TENSORBOARD_LOG_DIR)",
    )
    args = parser.parse_args(argv)
    metrics = train(
        epochs=args.epochs,
        out=args.out,
        metrics_out=args.metrics,
        data=args.data,
        seed=args.seed,
        lr=args.lr,
        batch_size=args.batch_size,
        trainer=args.trainer,
        mlflow=MlflowClient.from_env(),
        run_name=args.run_name,
        tensorboard_dir=args.tensorboard_dir,
    )
    print(json.dumps(metrics, sort_keys=True))


if __name__ == "__main__":
    main()
