"""The model: a small MLP, plus a LightningModule wrapper for Lightning users.

The pure-PyTorch parts work without Lightning; `lightning_module()` imports it
only when called.
"""

from typing import Any, Dict, List

import torch
from torch import nn

from .data import TASK


class MLP(nn.Module):
    """A two-hidden-layer perceptron producing one output per sample (a logit
    for classifiers, the prediction for regressors)."""

    def __init__(self, n_features: int, hidden: int = 32, dropout: float = 0.0):
        super().__init__()
        self.n_features = n_features
        self.hidden = hidden
        self.net = nn.Sequential(
            nn.Linear(n_features, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)

    def config(self) -> Dict[str, Any]:
        return {"n_features": self.n_features, "hidden": self.hidden}


def loss_fn(task: str = TASK) -> nn.Module:
    return nn.BCEWithLogitsLoss() if task == "classifier" else nn.MSELoss()


def auc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """ROC AUC: the probability that a random positive scores above a random
    negative (ties count half)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).float().mean()
    ties = (pos[:, None] == neg[None, :]).float().mean()
    return float(greater + 0.5 * ties)


@torch.no_grad()
def evaluate_batches(model: nn.Module, batches: List, task: str = TASK) -> Dict[str, float]:
    """Loss and task metrics of a model over (x, y) batches."""
    model.eval()
    outputs = torch.cat([model(x) for x, _ in batches])
    targets = torch.cat([y for _, y in batches])
    metrics = {"loss": float(loss_fn(task)(outputs, targets))}
    if task == "classifier":
        predictions = (outputs > 0).float()
        metrics["accuracy"] = float((predictions == targets).float().mean())
        metrics["auc"] = auc(outputs, targets)
    else:
        mse = float(((outputs - targets) ** 2).mean())
        metrics["rmse"] = mse**0.5
        metrics["r2"] = 1.0 - mse / float(targets.var(unbiased=False))
    return metrics


def lightning_module(model: MLP, lr: float = 1e-2, task: str = TASK):
    """Wraps the model in a LightningModule (needs `lightning`)."""
    import lightning as L  # imported here so plain PyTorch use does not need it

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.model = model
            self.loss = loss_fn(task)

        def forward(self, x):
            return self.model(x)

        def training_step(self, batch, _index):
            x, y = batch
            loss = self.loss(self.model(x), y)
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch, _index):
            for name, value in evaluate_batches(self.model, [batch], task).items():
                self.log(f"val_{name}", value)

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=lr)

    return Module()
