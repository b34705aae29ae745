"""Trains the model and writes it with its metrics.

    python -m ${{ values.pkg }}.train --epochs 5 --out model.pt

With Lightning installed (`--trainer lightning`, the default when it is
importable) the LightningModule of model.py is trained by a Lightning Trainer;
otherwise a plain PyTorch loop does the same optimisation.
"""

import argparse
import importlib.util
import json
import time
from pathlib import Path
from typing import Dict, Optional

import torch

from .data import TASK, data_loaders
from .model import MLP, evaluate_batches, lightning_module, loss_fn


def _fit_torch(model, train_loader, epochs: int, lr: float) -> None:
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    loss = loss_fn(TASK)
    for _ in range(epochs):
        model.train()
        for x, y in train_loader:
            optimiser.zero_grad()
            loss(model(x), y).backward()
            optimiser.step()


def _fit_lightning(model, train_loader, val_loader, epochs: int, lr: float) -> None:
    import lightning as L

    trainer = L.Trainer(
        max_epochs=epochs,
        accelerator="auto",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        deterministic=True,
    )
    trainer.fit(lightning_module(model, lr=lr), train_loader, val_loader)


def train(
    epochs: int = 5,
    out: Path = Path("model.pt"),
    metrics_out: Optional[Path] = Path("metrics.json"),
    data: Optional[Path] = None,
    seed: int = 0,
    lr: float = 1e-2,
    batch_size: int = 64,
    trainer: str = "auto",
) -> Dict[str, float]:
    """Trains, saves the model to `out` and returns the validation metrics."""
    if trainer == "auto":
        trainer = "lightning" if importlib.util.find_spec("lightning") else "torch"
    torch.manual_seed(seed)
    train_loader, val_loader, n_features = data_loaders(data, batch_size, seed)
    model = MLP(n_features)
    before = evaluate_batches(model, list(val_loader))

    started = time.monotonic()
    if trainer == "lightning":
        _fit_lightning(model, train_loader, val_loader, epochs, lr)
    else:
        _fit_torch(model, train_loader, epochs, lr)
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
    return metrics


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
    )
    print(json.dumps(metrics, sort_keys=True))


if __name__ == "__main__":
    main()
