"""Evaluates a trained model on the validation split and checks a threshold.

    python -m ${{ values.pkg }}.evaluate --model model.pt --min-accuracy 0.85

Exits with status 1 when the model is below the threshold, so CI does not push
a model that got worse.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, Optional

import torch

from .data import TASK, data_loaders
from .model import MLP, evaluate_batches


def load_model(path: Path) -> MLP:
    saved = torch.load(path, map_location="cpu")
    model = MLP(**saved["config"])
    model.load_state_dict(saved["state_dict"])
    return model


def evaluate(model_path: Path, data: Optional[Path] = None, seed: int = 0) -> Dict[str, float]:
    _, val_loader, _ = data_loaders(data, seed=seed)
    return evaluate_batches(load_model(model_path), list(val_loader))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("model.pt"))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path, default=Path("evaluation.json"))
    parser.add_argument("--min-accuracy", type=float, default=0.8, help="classifiers")
    parser.add_argument("--min-r2", type=float, default=0.8, help="regressors")
    args = parser.parse_args(argv)
    metrics = evaluate(args.model, args.data)
    args.out.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    print(json.dumps(metrics, sort_keys=True))
    if TASK == "classifier" and metrics["accuracy"] < args.min_accuracy:
        print(f"accuracy {metrics['accuracy']:.3f} < {args.min_accuracy}", file=sys.stderr)
        return 1
    if TASK != "classifier" and metrics["r2"] < args.min_r2:
        print(f"r2 {metrics['r2']:.3f} < {args.min_r2}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
