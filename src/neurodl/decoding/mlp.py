"""Torch decoders: an MLP with circular targets, and the curriculum's raw-degree baseline.

Both wire a module from :mod:`neurodl.models.mlp` to :func:`neurodl.training.train_module`;
numpy goes in and out, tensors stay inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike, NDArray
from torch import nn

from neurodl.decoding._base import BaseDecoder, check_period
from neurodl.exceptions import NeurodlValueError, check_option
from neurodl.models.mlp import MLP, CurriculumNet
from neurodl.training import resolve_device, seed_from, train_module

__all__ = ["CurriculumDecoder", "MLPDecoder"]

_HEADS = ("regression", "classification")
_PREDICT_BATCH = 4096


class _TorchDecoder(BaseDecoder):
    """Standardisation, module bookkeeping and batched inference shared by the torch decoders."""

    random_state: int | None
    device: str
    verbose: int

    def _standardise_fit(self, X: NDArray[np.float32]) -> NDArray[np.float32]:
        self.mean_ = X.mean(0, dtype=np.float64).astype(np.float32)
        scale = X.std(0, dtype=np.float64)
        self.scale_ = np.where(scale > 0, scale, 1.0).astype(np.float32)
        return (X - self.mean_) / self.scale_

    def _outputs(self, X: ArrayLike, *, hidden: bool = False) -> NDArray[np.float32]:
        X_arr = self._validate_predict(X)
        module: MLP = self.module_
        device = torch.device(self.device_)
        chunks = []
        with torch.no_grad():
            for start in range(0, X_arr.shape[0], _PREDICT_BATCH):
                rows = (X_arr[start : start + _PREDICT_BATCH] - self.mean_) / self.scale_
                batch = torch.from_numpy(np.ascontiguousarray(rows)).to(device)
                out = module.hidden_activations(batch) if hidden else module(batch)
                chunks.append(out.float().cpu().numpy())
        return np.concatenate(chunks, 0)

    def hidden_activations(self, X: ArrayLike) -> NDArray[np.float32]:
        """ReLU activity of the first hidden layer, shape (n_trials, n_hidden)."""
        return self._outputs(X, hidden=True)

    def _train(self, module: MLP, data: list[torch.Tensor], loss_fn: Any, **options: Any) -> None:
        result = train_module(
            module,
            data,
            loss_fn,
            seed=self.seed_,
            device=self.device_,
            progress=None if self.verbose else False,
            description=type(self).__name__,
            **options,
        )
        self.module_ = module.eval()
        self.loss_curve_ = np.asarray(result.loss_curve)
        self.validation_scores_ = np.asarray(result.validation_curve)
        self.n_iter_ = result.n_epochs
        self.best_epoch_ = result.best_epoch
        self.coefs_ = [
            layer.weight.detach().cpu().numpy().T.copy()
            for layer in (*module.hidden, module.output)
        ]

    def _setup(self) -> None:
        self.seed_ = seed_from(self.random_state)
        self.device_ = str(resolve_device(self.device))

    def _build(self, factory: Any) -> MLP:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed_)
            return factory()


class MLPDecoder(_TorchDecoder):
    """ReLU MLP decoder with a circular target: (cos, sin) regression or binned classification.

    Responses are z-scored with the training statistics. L1/L2 penalties act on the input weights
    (the curriculum's regularisation). Training goes through :func:`neurodl.training.train_module`
    with mini-batches and early stopping on a validation split scored by circular error.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (100,)
    head : {"classification", "regression"}, default "classification"
        Cross-entropy over ``n_bins`` orientation bins, decoded by the circular mean of the class
        probabilities (trains fastest and decodes best); or regression onto (cos, sin) of the
        angle, decoded by atan2.
    n_bins : int, default 72
        Bins for the classification head.
    alpha : float, default 1e-4
        L2 penalty on the input weights (sum of squares, added to each batch's loss).
    l1 : float, default 0.0
        L1 penalty on the input weights.
    batch_size : int, default 256
    learning_rate_init : float, default 1e-3
    max_iter : int, default 200
        Maximum epochs.
    early_stopping : bool, default True
        Hold out ``validation_fraction`` of the trials and keep the epoch with the lowest circular
        error; stop after ``n_iter_no_change`` epochs without improvement by ``tol`` degrees.
    validation_fraction : float, default 0.1
    n_iter_no_change : int, default 10
    tol : float, default 0.0
    period : {360, 180}, default 360
    random_state : int or None, default None
    device : str, default "cpu"
        "cpu", "cuda", "cuda:N", "mps" or "auto".
    verbose : int, default 0
        1 shows a progress bar when stderr is a terminal.

    Attributes
    ----------
    module_ : MLP
    loss_curve_ : ndarray of shape (n_epochs,)
    validation_scores_ : ndarray of shape (n_epochs,)
        Minus the validation mean absolute error (degrees) per epoch; empty without early stopping.
    coefs_ : list of ndarray
        Weight matrices (n_in, n_out) of each layer, input layer first.
    n_iter_ : int
    best_epoch_ : int
    mean_ : ndarray of shape (n_features,)
    scale_ : ndarray of shape (n_features,)
    seed_ : int
    device_ : str
    n_features_in_ : int

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> theta = rng.uniform(0, 360, 500)
    >>> tuning = np.cos(np.deg2rad(theta[:, None] - np.arange(0, 360, 30)))
    >>> X = tuning + rng.normal(0, 0.2, (500, 12))
    >>> decoder = MLPDecoder(hidden_layer_sizes=(32,), max_iter=40, random_state=0).fit(X, theta)
    >>> bool(np.median(np.abs(decoder.predict(X) - theta)) < 15)
    True
    """

    def __init__(
        self,
        *,
        hidden_layer_sizes: Sequence[int] = (100,),
        head: str = "classification",
        n_bins: int = 72,
        alpha: float = 1e-4,
        l1: float = 0.0,
        batch_size: int = 256,
        learning_rate_init: float = 1e-3,
        max_iter: int = 200,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 0.0,
        period: float = 360,
        random_state: int | None = None,
        device: str = "cpu",
        verbose: int = 0,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.head = head
        self.n_bins = n_bins
        self.alpha = alpha
        self.l1 = l1
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.period = period
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _check_params(self) -> None:
        check_option("head", self.head, _HEADS)
        sizes = tuple(self.hidden_layer_sizes)
        if not sizes or any(not isinstance(h, (int, np.integer)) or h < 1 for h in sizes):
            raise NeurodlValueError(
                f"hidden_layer_sizes must be a non-empty tuple of positive ints; got "
                f"{self.hidden_layer_sizes!r}."
            )
        if not isinstance(self.n_bins, (int, np.integer)) or self.n_bins < 2:
            raise NeurodlValueError(f"n_bins must be an int >= 2; got {self.n_bins!r}.")
        if self.alpha < 0 or self.l1 < 0:
            raise NeurodlValueError(
                f"alpha and l1 must be >= 0; got alpha={self.alpha!r}, l1={self.l1!r}."
            )
        if not 0.0 < self.validation_fraction < 1.0:
            raise NeurodlValueError(
                f"validation_fraction must lie in (0, 1); got {self.validation_fraction!r}."
            )

    def _angles(self, outputs: torch.Tensor) -> torch.Tensor:
        """Angles (degrees, [0, period)) from network outputs, shape (n,)."""
        period = check_period(self.period)
        if self.head == "regression":
            phase = torch.atan2(outputs[:, 1], outputs[:, 0])
        else:
            centres = (torch.arange(int(self.n_bins), device=outputs.device) + 0.5) * (
                2 * np.pi / int(self.n_bins)
            )
            probs = torch.softmax(outputs, 1)
            phase = torch.atan2(probs @ torch.sin(centres), probs @ torch.cos(centres))
        return torch.remainder(phase * (period / (2 * np.pi)), period)

    def fit(self, X: ArrayLike, y: ArrayLike) -> MLPDecoder:
        """Train the MLP on responses (n_trials, n_neurons) and angles in degrees (n_trials,)."""
        self._check_params()
        X_arr, theta = self._validate_fit(X, y)
        self._setup()
        period = check_period(self.period)
        Xs = torch.from_numpy(self._standardise_fit(X_arr))
        phase = theta * (2 * np.pi / period)
        if self.head == "regression":
            target = torch.from_numpy(np.c_[np.cos(phase), np.sin(phase)].astype(np.float32))
        else:
            bins = np.minimum((theta / (period / self.n_bins)).astype(np.int64), self.n_bins - 1)
            target = torch.from_numpy(bins)
        module = self._build(
            lambda: MLP(
                X_arr.shape[1],
                tuple(self.hidden_layer_sizes),
                2 if self.head == "regression" else int(self.n_bins),
            )
        )
        n = X_arr.shape[0]
        truth = torch.from_numpy(theta.astype(np.float32))
        order = np.random.default_rng(self.seed_).permutation(n)
        n_val = max(1, round(self.validation_fraction * n)) if self.early_stopping else 0
        if self.early_stopping and n - n_val < 1:
            raise NeurodlValueError(f"early_stopping needs at least 2 trials; got {n}.")
        val, train = torch.from_numpy(order[:n_val]), torch.from_numpy(order[n_val:])

        def loss_fn(net: nn.Module, xb: torch.Tensor, tb: torch.Tensor, _: torch.Tensor) -> Any:
            out = net(xb)
            return F.mse_loss(out, tb) if self.head == "regression" else F.cross_entropy(out, tb)

        def score_fn(net: nn.Module, xb: torch.Tensor, _: torch.Tensor, ab: torch.Tensor) -> float:
            diff = torch.remainder(self._angles(net(xb)) - ab + period / 2, period) - period / 2
            return -float(diff.abs().mean())

        def penalty_fn(net: nn.Module) -> torch.Tensor:
            assert isinstance(net, MLP)
            weight = net.input_layer.weight
            return self.alpha * weight.pow(2).sum() + self.l1 * weight.abs().sum()

        self._train(
            module,
            [Xs[train], target[train], truth[train]],
            loss_fn,
            validation_data=[Xs[val], target[val], truth[val]] if n_val else None,
            score_fn=score_fn if n_val else None,
            penalty_fn=penalty_fn if (self.alpha or self.l1) else None,
            optimizer="adam",
            learning_rate=float(self.learning_rate_init),
            batch_size=int(self.batch_size),
            max_epochs=int(self.max_iter),
            patience=int(self.n_iter_no_change) if n_val else None,
            tol=float(self.tol),
        )
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        """Decoded angle of each trial in degrees, in [0, period); shape (n_trials,)."""
        angles = self._angles(torch.from_numpy(self._outputs(X)))
        return angles.numpy().astype(np.float64)


class CurriculumDecoder(_TorchDecoder):
    """The curriculum's network: 10 ReLU hidden units, squared error on raw degrees, full-batch GD.

    A deliberately naive baseline: a regression onto the angle itself cannot represent that 359°
    and 1° are neighbours, so it fails near 0°/360° (see the tests and the error-vs-orientation
    figure). Responses are z-scored with the training statistics.

    Parameters
    ----------
    n_hidden : int, default 10
    alpha : float, default 0.0
        L2 penalty on the input weights (the curriculum's later fix for over-fitting; 0 is the
        original network, which over-fits small data sets).
    learning_rate_init : float, default 1e-4
        Step of plain (full-batch) gradient descent (larger steps diverge on degree² losses).
    max_iter : int, default 1000
        Gradient steps (epochs).
    period : {360, 180}, default 360
        Predictions are wrapped into [0, period).
    random_state : int or None, default None
    device : str, default "cpu"
    verbose : int, default 0

    Attributes
    ----------
    module_ : CurriculumNet
    loss_curve_ : ndarray of shape (n_epochs,)
        Mean squared error in degrees² per step.
    coefs_ : list of ndarray
    mean_ : ndarray of shape (n_features,)
    scale_ : ndarray of shape (n_features,)
    seed_ : int
    device_ : str
    n_iter_ : int
    best_epoch_ : int
    n_features_in_ : int
    """

    def __init__(
        self,
        *,
        n_hidden: int = 10,
        alpha: float = 0.0,
        learning_rate_init: float = 1e-4,
        max_iter: int = 1000,
        period: float = 360,
        random_state: int | None = None,
        device: str = "cpu",
        verbose: int = 0,
    ) -> None:
        self.n_hidden = n_hidden
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.period = period
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def fit(self, X: ArrayLike, y: ArrayLike) -> CurriculumDecoder:
        """Train on responses (n_trials, n_neurons) and angles in degrees (n_trials,)."""
        if not isinstance(self.n_hidden, (int, np.integer)) or self.n_hidden < 1:
            raise NeurodlValueError(f"n_hidden must be an int >= 1; got {self.n_hidden!r}.")
        if not self.alpha >= 0:
            raise NeurodlValueError(f"alpha must be >= 0; got {self.alpha!r}.")
        X_arr, theta = self._validate_fit(X, y)
        self._setup()
        Xs = torch.from_numpy(self._standardise_fit(X_arr))
        target = torch.from_numpy(theta.astype(np.float32)[:, None])
        module = self._build(lambda: CurriculumNet(X_arr.shape[1], int(self.n_hidden)))

        def loss_fn(net: nn.Module, xb: torch.Tensor, tb: torch.Tensor) -> torch.Tensor:
            return F.mse_loss(net(xb), tb)

        def penalty_fn(net: nn.Module) -> torch.Tensor:
            assert isinstance(net, MLP)
            return self.alpha * net.input_layer.weight.pow(2).sum()

        self._train(
            module,
            [Xs, target],
            loss_fn,
            penalty_fn=penalty_fn if self.alpha else None,
            optimizer="sgd",
            learning_rate=float(self.learning_rate_init),
            batch_size=None,
            max_epochs=int(self.max_iter),
            patience=None,
        )
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        """The network's output in degrees, wrapped into [0, period); shape (n_trials,)."""
        period = check_period(self.period)
        return np.mod(self._outputs(X)[:, 0].astype(np.float64), period)
