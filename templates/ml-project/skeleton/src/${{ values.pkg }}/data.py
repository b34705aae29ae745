"""Training data.

Until the real data at ${{ values.datasetLocation }} is wired in, the project
trains on a synthetic, noisy linear problem that is generated deterministically
from a seed, so `make train` works anywhere in seconds. A local CSV (features in
all columns but the last, the target in the last) can be used instead with
`--data file.csv`.
"""

import csv
from pathlib import Path
from typing import Optional, Tuple

import torch
from torch.utils.data import DataLoader, TensorDataset

#: What the model predicts: "classifier" (binary) or "regressor".
TASK = "${{ values.modelType }}"
N_FEATURES = 8
#: The problem (its true weights) is fixed; the seed only draws the samples.
PROBLEM_SEED = 1234


def _true_weights(n_features: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(PROBLEM_SEED)
    return torch.randn(n_features, generator=generator)


def make_dataset(
    n_samples: int = 2000,
    n_features: int = N_FEATURES,
    noise: float = 0.3,
    seed: int = 0,
    task: str = TASK,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Features x (n_samples, n_features) and targets y (n_samples,)."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n_samples, n_features, generator=generator)
    signal = x @ _true_weights(n_features)
    y = signal + noise * torch.randn(n_samples, generator=generator)
    if task == "classifier":
        y = (y > 0).float()
    return x, y


def load_csv(path: Path) -> Tuple[torch.Tensor, torch.Tensor]:
    """Reads a numeric CSV with a header row; the last column is the target."""
    with open(path, newline="") as f:
        rows = [[float(v) for v in row] for row in list(csv.reader(f))[1:] if row]
    if not rows:
        raise ValueError(f"{path} has no data rows")
    data = torch.tensor(rows, dtype=torch.float32)
    return data[:, :-1], data[:, -1]


def split(
    x: torch.Tensor, y: torch.Tensor, val_fraction: float = 0.2, seed: int = 0
) -> Tuple[TensorDataset, TensorDataset]:
    """A deterministic train/validation split."""
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n_val = max(1, int(len(x) * val_fraction))
    val, train = order[:n_val], order[n_val:]
    return TensorDataset(x[train], y[train]), TensorDataset(x[val], y[val])


def data_loaders(
    data: Optional[Path] = None, batch_size: int = 64, seed: int = 0
) -> Tuple[DataLoader, DataLoader, int]:
    """Train and validation loaders, and the number of features."""
    x, y = load_csv(data) if data else make_dataset(seed=seed)
    train, val = split(x, y, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    return (
        DataLoader(train, batch_size=batch_size, shuffle=True, generator=generator),
        DataLoader(val, batch_size=len(val)),
        x.shape[1],
    )
