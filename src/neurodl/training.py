"""The one training loop: devices, mini-batches, early stopping, seeding, progress.

Every torch model in neurodl is trained through :func:`train_module`; it is the only place that
calls ``backward()``. Estimators build a module, hand it tensors and a loss, and read the result.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from neurodl.exceptions import NeurodlValueError, check_option

__all__ = ["TrainResult", "resolve_device", "seed_from", "train_module"]

logger = logging.getLogger(__name__)

LossFn = Callable[..., torch.Tensor]
ScoreFn = Callable[..., float]

_OPTIMIZERS = ("adam", "adamw", "sgd")


def resolve_device(device: str | torch.device = "cpu") -> torch.device:
    """Turn ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or ``"auto"`` into a torch device.

    ``"auto"`` picks CUDA when available, then MPS, else CPU. Asking for CUDA on a machine without
    it is an error rather than a silent fall-back.
    """
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise NeurodlValueError(f"device must be a string such as 'cpu'; got {device!r}.")
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise NeurodlValueError(
            f"device must be one of 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto'; got {device!r}."
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise NeurodlValueError(
            f"device {device!r} was asked for but CUDA is not available; use 'cpu' or 'auto'."
        )
    return resolved


def seed_from(random_state: int | None) -> int:
    """An integer seed: ``random_state`` itself, or a fresh one from the OS when None."""
    if random_state is None:
        return int.from_bytes(os.urandom(4), "little") % (2**31 - 1)
    if not isinstance(random_state, int) or isinstance(random_state, bool) or random_state < 0:
        raise NeurodlValueError(
            f"random_state must be a non-negative int or None; got {random_state!r}."
        )
    return random_state


@dataclass
class TrainResult:
    """What a training run produced.

    Attributes
    ----------
    loss_curve : list of float
        Mean training loss (with penalties) per epoch.
    validation_curve : list of float
        Validation score per epoch (empty without validation data); higher is better.
    best_epoch : int
        Epoch (0-based) whose weights were kept.
    n_epochs : int
        Epochs run.
    stopped_early : bool
        Whether early stopping ended the run before ``max_epochs``.
    """

    loss_curve: list[float] = field(default_factory=list)
    validation_curve: list[float] = field(default_factory=list)
    best_epoch: int = 0
    n_epochs: int = 0
    stopped_early: bool = False


def _make_optimizer(
    module: nn.Module, name: str, lr: float, weight_decay: float
) -> torch.optim.Optimizer:
    params = [p for p in module.parameters() if p.requires_grad]
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    check_option("optimizer", name, _OPTIMIZERS)
    return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)


def _progress(total: int, show: bool | None, desc: str):  # type: ignore[no-untyped-def]
    from tqdm.auto import tqdm

    disable = (not sys.stderr.isatty()) if show is None else not show
    return tqdm(total=total, desc=desc, disable=disable, leave=False, unit="epoch")


def train_module(
    module: nn.Module,
    train_data: Sequence[torch.Tensor],
    loss_fn: LossFn,
    *,
    validation_data: Sequence[torch.Tensor] | None = None,
    score_fn: ScoreFn | None = None,
    penalty_fn: Callable[[nn.Module], torch.Tensor] | None = None,
    optimizer: str = "adamw",
    learning_rate: float = 1e-3,
    weight_decay: float = 0.0,
    batch_size: int | None = 256,
    max_epochs: int = 100,
    patience: int | None = 10,
    tol: float = 0.0,
    seed: int = 0,
    device: torch.device | str = "cpu",
    progress: bool | None = None,
    description: str = "training",
    lr_decay_steps: int = 0,
    lr_decay_factor: float = 0.3,
    lr_schedule: str = "plateau",
) -> TrainResult:
    """Train ``module`` in place and return its curves; the best weights are restored.

    Parameters
    ----------
    module : nn.Module
        The model; moved to ``device``.
    train_data : sequence of tensors sharing their first dimension
        Batches are row slices of these tensors, passed to ``loss_fn(module, *batch)``.
    loss_fn : callable
        ``loss_fn(module, *batch) -> scalar tensor`` (mean over the batch).
    validation_data : sequence of tensors, optional
        Held-out tensors passed to ``score_fn(module, *validation_data)`` after each epoch, in
        eval mode without gradients. Without ``score_fn`` the score is ``-loss_fn(...)``.
    score_fn : callable, optional
        Validation score, higher is better (for example a mean correlation).
    penalty_fn : callable, optional
        ``penalty_fn(module) -> scalar tensor`` added to each batch's loss (L1/L2 on weights).
    optimizer : {"adam", "adamw", "sgd"}
    batch_size : int or None
        Rows per mini-batch; None trains full-batch.
    max_epochs, patience, tol
        Stop after ``max_epochs``, or when the monitored quantity (validation score, else the
        training loss) has not improved by more than ``tol`` for ``patience`` epochs. ``patience``
        None never stops early. The weights of the epoch with the best monitored value are kept.
    seed : int
        Seeds the batch order and any randomness inside the module (dropout) without touching the
        caller's global random state.
    device : str or torch.device
    progress : bool or None
        Show a progress bar; None shows one only when stderr is a terminal.
    lr_decay_steps : int
        When the monitored value has not improved for ``patience`` epochs, restore the best
        weights, multiply the learning rate by ``lr_decay_factor`` and go on, up to this many
        times before stopping (0: stop at once).
    lr_decay_factor : float
        In (0, 1).
    lr_schedule : {"plateau", "cosine"}
        "plateau": a constant rate, lowered on plateaus as ``lr_decay_steps`` says. "cosine":
        the rate falls from ``learning_rate`` to 0 along a half cosine over ``max_epochs``
        epochs, updated after every batch (``lr_decay_steps`` is then not used).
    """
    _check_options(optimizer, lr_schedule, max_epochs, lr_decay_steps, lr_decay_factor)
    device = resolve_device(device)
    n = int(train_data[0].shape[0])
    if any(int(t.shape[0]) != n for t in train_data):
        raise NeurodlValueError("train_data tensors must share their first dimension.")
    batch = n if batch_size is None else max(1, min(int(batch_size), n))
    train_data = [t.to(device) for t in train_data]
    validation = None if validation_data is None else [t.to(device) for t in validation_data]
    module.to(device)
    devices = [device.index or 0] if device.type == "cuda" else []
    result = TrainResult()
    stopper = _EarlyStopping(
        patience, tol, int(lr_decay_steps) if lr_schedule == "plateau" else 0, lr_decay_factor
    )
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        generator = torch.Generator(device="cpu").manual_seed(seed)
        opt = _make_optimizer(module, optimizer, learning_rate, weight_decay)
        scheduler = (
            torch.optim.lr_scheduler.LambdaLR(opt, _half_cosine(max_epochs * math.ceil(n / batch)))
            if lr_schedule == "cosine"
            else None
        )
        bar = _progress(max_epochs, progress, description)
        try:
            for epoch in range(max_epochs):
                order = torch.randperm(n, generator=generator).to(device) if batch < n else None
                epoch_loss = _train_epoch(
                    module, train_data, (loss_fn, penalty_fn), opt, scheduler, (order, batch)
                )
                if not math.isfinite(epoch_loss):
                    raise NeurodlValueError(
                        f"training diverged at epoch {epoch} (loss {epoch_loss}); lower the "
                        "learning rate."
                    )
                result.loss_curve.append(epoch_loss)
                value = -epoch_loss
                if validation is not None:
                    value = _validation_score(module, validation, score_fn, loss_fn)
                    result.validation_curve.append(value)
                result.n_epochs = epoch + 1
                bar.update(1)
                bar.set_postfix(loss=f"{epoch_loss:.4g}")
                if stopper.update(value, epoch, module, opt):
                    result.stopped_early = True
                    break
        finally:
            bar.close()
    result.best_epoch = stopper.best_epoch
    if stopper.best_state is not None:
        module.load_state_dict(stopper.best_state)
    module.eval()
    logger.debug(
        "%s: %d epochs, best %d, final loss %.4g",
        description,
        result.n_epochs,
        result.best_epoch,
        result.loss_curve[-1],
    )
    return result


def _check_options(
    optimizer: str,
    lr_schedule: str,
    max_epochs: int,
    lr_decay_steps: int,
    lr_decay_factor: float,
) -> None:
    check_option("optimizer", optimizer, _OPTIMIZERS)
    check_option("lr_schedule", lr_schedule, ("plateau", "cosine"))
    if max_epochs < 1:
        raise NeurodlValueError(f"max_epochs must be >= 1; got {max_epochs!r}.")
    if lr_decay_steps < 0 or not 0.0 < lr_decay_factor < 1.0:
        raise NeurodlValueError(
            "lr_decay_steps must be >= 0 and lr_decay_factor in (0, 1); got "
            f"{lr_decay_steps!r} and {lr_decay_factor!r}."
        )


def _half_cosine(total_steps: int) -> Callable[[int], float]:
    """Factor of the learning rate after ``step`` batches: from 1 to 0 along a half cosine."""

    def factor(step: int) -> float:
        return 0.5 * (1 + math.cos(math.pi * step / total_steps))

    return factor


def _train_epoch(
    module: nn.Module,
    train_data: Sequence[torch.Tensor],
    losses: tuple[LossFn, Callable[[nn.Module], torch.Tensor] | None],
    opt: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None,
    batches: tuple[torch.Tensor | None, int],
) -> float:
    """One pass over the training rows in mini-batches; the mean loss (with penalties)."""
    loss_fn, penalty_fn = losses
    order, batch = batches
    n = int(train_data[0].shape[0])
    module.train()
    total, count = 0.0, 0
    for start in range(0, n, batch):
        rows = None if order is None else order[start : start + batch]
        parts = train_data if rows is None else [t[rows] for t in train_data]
        loss = loss_fn(module, *parts)
        if penalty_fn is not None:
            loss = loss + penalty_fn(module)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
        size = int(parts[0].shape[0])
        total += float(loss.detach()) * size
        count += size
    return total / count


def _validation_score(
    module: nn.Module,
    validation: Sequence[torch.Tensor],
    score_fn: ScoreFn | None,
    loss_fn: LossFn,
) -> float:
    """The validation score (higher is better), in eval mode without gradients."""
    module.eval()
    with torch.no_grad():
        if score_fn is not None:
            return float(score_fn(module, *validation))
        return -float(loss_fn(module, *validation))


class _EarlyStopping:
    """Keeps the best weights; says when to stop, after lowering the rate on plateaus."""

    def __init__(self, patience: int | None, tol: float, decays: int, decay_factor: float) -> None:
        self.patience, self.tol = patience, tol
        self.decays_left, self.decay_factor = decays, decay_factor
        self.best_value, self.best_epoch = -math.inf, 0
        self.best_state: dict[str, torch.Tensor] | None = None
        self.reference = -math.inf  # last value that improved by more than tol (for patience)
        self.since_best = 0

    def update(
        self, value: float, epoch: int, module: nn.Module, opt: torch.optim.Optimizer
    ) -> bool:
        """Record an epoch's monitored value; True when training should stop."""
        if value > self.best_value or self.best_state is None:
            self.best_value, self.best_epoch = value, epoch
            self.best_state = copy.deepcopy(module.state_dict())
        if value > self.reference + self.tol:
            self.reference, self.since_best = value, 0
            return False
        self.since_best += 1
        if self.patience is None or self.since_best < self.patience:
            return False
        if self.decays_left > 0:
            self.decays_left -= 1
            self.since_best = 0
            module.load_state_dict(self.best_state)
            for group in opt.param_groups:
                group["lr"] *= self.decay_factor
            return False
        return True
