"""Tests of the shared training loop."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from neurodl.exceptions import NeurodlValueError
from neurodl.training import resolve_device, seed_from, train_module


def _data(n: int = 200) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.05 * torch.randn(n, 1, generator=g)
    return x, y


def _mse(module: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((module(x) - y) ** 2).mean()


def test_learns_a_linear_map():
    x, y = _data()
    model = nn.Linear(3, 1)
    result = train_module(model, (x, y), _mse, learning_rate=0.05, max_epochs=60, batch_size=32)
    assert result.loss_curve[-1] < 0.01 < result.loss_curve[0]
    torch.testing.assert_close(
        model.weight.detach(), torch.tensor([[1.0, -2.0, 0.5]]), atol=0.05, rtol=0
    )
    assert not model.training


def test_same_seed_same_weights_and_global_state_untouched():
    x, y = _data()
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    weights = []
    for _ in range(2):
        torch.manual_seed(7)
        model = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.2), nn.Linear(8, 1))
        train_module(model, (x, y), _mse, max_epochs=5, batch_size=16, seed=3)
        weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    torch.testing.assert_close(weights[0], weights[1])
    torch.manual_seed(123)
    assert torch.equal(before, torch.random.get_rng_state())


def test_early_stopping_restores_best_validation():
    x, y = _data(100)
    xv, yv = _data(50)
    scores: list[float] = []

    def score(module: nn.Module, xs: torch.Tensor, ys: torch.Tensor) -> float:
        value = -float(_mse(module, xs, ys))
        scores.append(value)
        return value

    model = nn.Linear(3, 1)
    result = train_module(
        model,
        (x, y),
        _mse,
        validation_data=(xv, yv),
        score_fn=score,
        learning_rate=0.5,
        optimizer="sgd",
        max_epochs=200,
        patience=3,
        tol=1e-3,
        batch_size=None,
    )
    assert result.stopped_early and result.n_epochs < 200
    assert len(result.validation_curve) == result.n_epochs
    assert result.validation_curve[result.best_epoch] == max(result.validation_curve)
    with torch.no_grad():
        final = -float(_mse(model, xv, yv))
    assert final == pytest.approx(max(result.validation_curve), rel=1e-5)


def test_penalty_is_added():
    x, y = _data()
    model = nn.Linear(3, 1)
    result = train_module(
        model,
        (x, y),
        _mse,
        penalty_fn=lambda m: 10.0 * m.weight.abs().sum(),
        learning_rate=0.05,
        max_epochs=40,
    )
    assert model.weight.abs().sum() < 1.0  # strong L1 shrinks the weights
    assert result.loss_curve[-1] > 0.5


def test_divergence_and_bad_arguments():
    x, y = _data()
    with pytest.raises(NeurodlValueError, match="diverged"):
        train_module(nn.Linear(3, 1), (x, y * 1e30), _mse, learning_rate=1e10, optimizer="sgd")
    with pytest.raises(NeurodlValueError, match="optimizer must be one of"):
        train_module(nn.Linear(3, 1), (x, y), _mse, optimizer="rmsprop")
    with pytest.raises(NeurodlValueError, match="max_epochs must be >= 1"):
        train_module(nn.Linear(3, 1), (x, y), _mse, max_epochs=0)
    with pytest.raises(NeurodlValueError, match="share their first dimension"):
        train_module(nn.Linear(3, 1), (x, y[:5]), _mse)


def test_resolve_device_and_seed():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in {"cpu", "cuda", "mps"}
    with pytest.raises(NeurodlValueError, match="device must be one of"):
        resolve_device("tpu")
    with pytest.raises(NeurodlValueError, match="device must be a string"):
        resolve_device(3)  # type: ignore[arg-type]
    if not torch.cuda.is_available():
        with pytest.raises(NeurodlValueError, match="CUDA is not available"):
            resolve_device("cuda")
    assert seed_from(5) == 5
    assert 0 <= seed_from(None) < 2**31
    with pytest.raises(NeurodlValueError, match="random_state must be"):
        seed_from(-1)


def test_lr_decay_goes_back_to_best_weights_and_lowers_the_rate():
    x, y = _data(60)
    seen: list[torch.Tensor] = []

    def flat_score(module: nn.Module, *_: torch.Tensor) -> float:
        # a plateau from the first epoch on: every stall of `patience` epochs is one decay step
        return 0.0

    def record(module: nn.Module) -> torch.Tensor:
        seen.append(module.weight.detach().clone())  # weights before each (full-batch) step
        return torch.zeros(())

    common = {
        "validation_data": (x, y),
        "score_fn": flat_score,
        "max_epochs": 50,
        "patience": 2,
        "batch_size": None,
        "optimizer": "sgd",
        "learning_rate": 0.1,
    }
    plain = train_module(nn.Linear(3, 1), (x, y), _mse, **common)  # type: ignore[arg-type]
    decayed = train_module(
        nn.Linear(3, 1),
        (x, y),
        _mse,
        lr_decay_steps=3,
        lr_decay_factor=0.25,
        penalty_fn=record,
        **common,  # type: ignore[arg-type]
    )
    assert plain.n_epochs == 1 + 2
    assert decayed.n_epochs == 1 + 2 * (3 + 1)
    assert decayed.best_epoch == 0 and decayed.stopped_early
    # after the first stall the weights of epoch 0 come back and the step shrinks 4-fold
    torch.testing.assert_close(seen[3], seen[1])
    torch.testing.assert_close(seen[4] - seen[3], 0.25 * (seen[2] - seen[1]))
    with pytest.raises(NeurodlValueError, match=r"lr_decay_factor in \(0, 1\)"):
        train_module(nn.Linear(3, 1), (x, y), _mse, lr_decay_factor=1.5)


def test_cosine_schedule_follows_a_half_cosine_to_zero():
    from torch.optim.optimizer import register_optimizer_step_pre_hook

    x, y = _data(60)
    rates: list[float] = []
    handle = register_optimizer_step_pre_hook(
        lambda opt, *_: rates.append(opt.param_groups[0]["lr"])
    )
    try:
        result = train_module(
            nn.Linear(3, 1),
            (x, y),
            _mse,
            optimizer="sgd",
            learning_rate=0.1,
            batch_size=20,
            max_epochs=4,
            patience=None,
            lr_schedule="cosine",
            lr_decay_steps=5,  # not used by the cosine schedule
        )
    finally:
        handle.remove()
    assert result.n_epochs == 4
    # 3 batches an epoch, 12 steps: step s (0-based) runs at 0.1 * (1 + cos(pi s / 12)) / 2
    assert rates == pytest.approx([0.05 * (1 + math.cos(math.pi * s / 12)) for s in range(12)])
    with pytest.raises(NeurodlValueError, match="lr_schedule must be"):
        train_module(nn.Linear(3, 1), (x, y), _mse, lr_schedule="linear")
