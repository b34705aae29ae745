import importlib.util

import pytest
import torch

from ${{ values.pkg }}.data import N_FEATURES, TASK, make_dataset, split
from ${{ values.pkg }}.model import MLP, auc


def test_dataset_shapes_and_determinism():
    x, y = make_dataset(n_samples=100, seed=3)
    assert x.shape == (100, N_FEATURES)
    assert y.shape == (100,)
    x2, y2 = make_dataset(n_samples=100, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    x3, _ = make_dataset(n_samples=100, seed=4)
    assert not torch.equal(x, x3)


def test_classification_labels_are_balanced_binary():
    _, y = make_dataset(n_samples=2000, task="classifier")
    assert set(y.unique().tolist()) == {0.0, 1.0}
    assert 0.3 < float(y.mean()) < 0.7


def test_split_is_disjoint_and_complete():
    x, y = make_dataset(n_samples=50)
    train, val = split(x, y)
    assert len(train) + len(val) == 50
    assert len(val) == 10


def test_model_output_shape():
    model = MLP(N_FEATURES)
    out = model(torch.zeros(7, N_FEATURES))
    assert out.shape == (7,)


def test_auc():
    labels = torch.tensor([0.0, 0.0, 1.0, 1.0])
    assert auc(torch.tensor([0.1, 0.2, 0.8, 0.9]), labels) == 1.0
    assert auc(torch.tensor([0.9, 0.8, 0.2, 0.1]), labels) == 0.0
    assert auc(torch.tensor([0.5, 0.5, 0.5, 0.5]), labels) == 0.5


@pytest.mark.skipif(
    importlib.util.find_spec("lightning") is None, reason="lightning is not installed"
)
def test_lightning_module_wraps_the_model():
    from ${{ values.pkg }}.model import lightning_module

    model = MLP(N_FEATURES)
    module = lightning_module(model)
    x = torch.zeros(3, N_FEATURES)
    assert torch.equal(module(x), model(x))


def test_task_is_known():
    assert TASK in ("classifier", "regressor")
