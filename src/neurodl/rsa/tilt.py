"""Training tilt-discrimination networks on gratings (through neurodl's one training loop).

The curriculum's CNN and its brain-like variants: Dale's law, feedback alignment, recurrence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.typing import NDArray

from neurodl.exceptions import NeurodlValueError, check_option
from neurodl.models.dale import DaleLinear
from neurodl.models.learning_rules import compute_alignment_angles, with_learning_rule
from neurodl.models.recurrent import RecurrentConvNet
from neurodl.models.tilt import TiltCNN
from neurodl.stimuli import make_filter_bank, make_grating
from neurodl.training import TrainResult, seed_from, train_module

__all__ = [
    "TILT_NETWORKS",
    "TiltHistory",
    "TiltTask",
    "make_tilt_network",
    "make_tilt_task",
    "quick_settings",
    "train_tilt_cnn",
    "train_tilt_network",
]

logger = logging.getLogger(__name__)


@dataclass
class TiltTask:
    """Gratings tilted left or right of a reference orientation.

    Attributes
    ----------
    images : ndarray of shape (n, height, width)
    orientation : ndarray of shape (n,)
        Degrees.
    labels : ndarray of shape (n,)
        1 when orientation > reference (tilted one way), else 0.
    """

    images: NDArray[np.float32]
    orientation: NDArray[np.float64]
    labels: NDArray[np.float32]


def make_tilt_task(
    n_images: int,
    *,
    reference: float = 0.0,
    max_tilt: float = 45.0,
    min_tilt: float = 1.0,
    image_size: tuple[int, int] = (48, 64),
    n_phases: int = 8,
    random_state: int | np.random.Generator | None = None,
) -> TiltTask:
    """Draw gratings at reference ± tilt (tilt uniform in [min_tilt, max_tilt]) with random phase.

    The label is 1 for a positive tilt (counter-clockwise of the reference in the stimulus
    convention of :mod:`neurodl.stimuli`) and 0 for a negative one. Phases are drawn from
    ``n_phases`` evenly spaced values so that the task cannot be solved from single pixels.
    """
    if n_images < 2:
        raise NeurodlValueError(f"n_images must be >= 2; got {n_images!r}.")
    if not 0 <= min_tilt < max_tilt <= 90:
        raise NeurodlValueError(
            f"tilts must satisfy 0 <= min_tilt < max_tilt <= 90; got {min_tilt!r}, {max_tilt!r}."
        )
    rng = np.random.default_rng(random_state)
    sign = rng.choice([-1.0, 1.0], size=n_images)
    tilt = rng.uniform(min_tilt, max_tilt, size=n_images)
    orientation = reference + sign * tilt
    phase_index = rng.integers(0, n_phases, size=n_images)
    images = np.empty((n_images, *image_size), dtype=np.float32)
    for k in range(n_phases):
        chosen = np.flatnonzero(phase_index == k)
        if chosen.size:
            images[chosen] = make_grating(
                orientation[chosen], size=image_size, phase=360.0 * k / n_phases
            ).reshape(chosen.size, *image_size)
    return TiltTask(images, orientation, (sign > 0).astype(np.float32))


TILT_NETWORKS = ("cnn", "dale", "fa", "rcnn")


@dataclass
class TiltHistory(TrainResult):
    """A :class:`~neurodl.training.TrainResult` with the alignment angles of feedback alignment.

    Attributes
    ----------
    alignment_angles : dict of str to list of float
        For networks that learn by a rule other than backpropagation (``"fa"``): per layer, the
        angle in degrees between the rule's weight update and the true gradient on the
        validation gratings, before training (entry 0) and after each epoch (entries 1 to
        ``n_epochs``). Empty for the other kinds. The top layer's angle is 0 by construction.
    """

    alignment_angles: dict[str, list[float]] = field(default_factory=dict)


def quick_settings(kind: str) -> dict[str, float | int]:
    """Training settings of a quick run (about a second on a CPU) for a network ``kind``.

    A small task (256 training and 128 test gratings, 4 epochs). Feedback alignment gets more
    and larger steps (batches of 16, learning rate 1e-2, 6 epochs): its updates follow the
    gradient only once the forward weights have aligned with the fixed feedback, and at the
    default 16 steps half of the seeds never left chance (seeds 0-19 on 24x32 gratings:
    held-out accuracy >= 0.96 with these settings, 0.45 at worst before).
    """
    check_option("kind", kind, TILT_NETWORKS)
    settings: dict[str, float | int] = {"n_train": 256, "n_test": 128, "max_epochs": 4}
    if kind == "fa":
        settings.update(batch_size=16, learning_rate=1e-2, max_epochs=6)
    return settings


def make_tilt_network(
    kind: str, image_size: tuple[int, int] = (48, 64), *, n_blocks: int = 1, random_state: int = 0
) -> torch.nn.Module:
    """An untrained network for the tilt task, seeded (the global torch state is not changed).

    ``"cnn"``: :class:`~neurodl.models.tilt.TiltCNN` with the curriculum's filter bank as its
    first layer. ``"dale"``: the same, with its fully connected layers (which read neurons'
    rectified activity) replaced by :class:`~neurodl.models.DaleLinear` (80% excitatory inputs);
    the first convolution reads pixels, which are not neurons, and stays unconstrained.
    ``"fa"``: the CNN learning by feedback alignment
    (:func:`~neurodl.models.with_learning_rule`). ``"rcnn"``: a
    :class:`~neurodl.models.RecurrentConvNet` with lateral and top-down connections (two
    areas, 4 steps, filter-bank first layer with stride 4) whose readout gives one logit.
    """
    check_option("kind", kind, TILT_NETWORKS)
    bank = torch.from_numpy(make_filter_bank(7))
    with torch.random.fork_rng():
        torch.manual_seed(random_state)
        if kind == "rcnn":
            rcnn = RecurrentConvNet((6, 12), (7, 3), times=4, input_stride=4)
            with torch.no_grad():
                rcnn.areas()[0].bottom_up.weight.copy_(bank[:, None])
            return rcnn
        cnn = TiltCNN(image_size, n_blocks=n_blocks, conv_init=bank)
        if kind == "dale":
            cnn.fc = DaleLinear(cnn.fc.in_features, cnn.fc.out_features)  # type: ignore[assignment]
            cnn.out = DaleLinear(cnn.out.in_features, 1)  # type: ignore[assignment]
    if kind == "fa":
        return with_learning_rule(cnn, "feedback_alignment", random_state=random_state)
    return cnn


def _probabilities(module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """P(tilted right) of shape (batch,): a TiltCNN's output, or the sigmoid of one logit."""
    out = module(x)
    return torch.sigmoid(out.squeeze(-1)) if isinstance(module, RecurrentConvNet) else out


def _bce(module: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    p = _probabilities(module, x).clamp(1e-6, 1 - 1e-6)
    return torch.nn.functional.binary_cross_entropy(p, y)


def _accuracy(module: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return float(((_probabilities(module, x) > 0.5).float() == y).float().mean())


def _logging_alignment(
    angles: dict[str, list[float]],
) -> Callable[[torch.nn.Module, torch.Tensor, torch.Tensor], float]:
    """The validation score (accuracy) that also appends each layer's alignment angle."""

    def score(module: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
        with torch.enable_grad():
            measured = compute_alignment_angles(module, lambda m: _bce(m, x, y))
        for name, angle in measured.items():
            angles.setdefault(name, []).append(angle)
        return _accuracy(module, x, y)

    return score


def train_tilt_network(
    kind: str = "cnn",
    *,
    image_size: tuple[int, int] = (48, 64),
    n_train: int = 2000,
    n_test: int = 500,
    n_blocks: int = 1,
    max_epochs: int = 30,
    patience: int = 5,
    learning_rate: float = 3e-3,
    batch_size: int = 64,
    random_state: int | None = 0,
    device: str = "cpu",
) -> tuple[torch.nn.Module, float, TiltHistory]:
    """Train a network of :func:`make_tilt_network` to tell left from right tilt.

    Training uses a validation split of the training gratings for early stopping, through
    :func:`neurodl.training.train_module` (the one training loop); the accuracy is measured
    on separately drawn test gratings.

    Parameters
    ----------
    kind : {"cnn", "dale", "fa", "rcnn"}
    image_size, n_train, n_test, n_blocks, max_epochs, patience, learning_rate, batch_size
        Task size and training settings (``n_blocks``: CNN-based kinds only).
    random_state : int, optional
        Seeds the gratings, the initial weights and the batches.
    device : str

    Returns
    -------
    module : nn.Module
        The trained network (on ``device``).
    test_accuracy : float
        Fraction of held-out gratings classified correctly (chance 0.5).
    history : TiltHistory
        The training curves; for ``"fa"`` also the alignment angle of each layer before
        training and after every epoch (measured on the validation gratings).
    """
    check_option("kind", kind, TILT_NETWORKS)
    seed = seed_from(random_state)
    rng = np.random.default_rng(seed)
    train = make_tilt_task(n_train, image_size=image_size, random_state=rng)
    test = make_tilt_task(n_test, image_size=image_size, random_state=rng)
    n_val = max(1, n_train // 5)
    net = make_tilt_network(kind, image_size, n_blocks=n_blocks, random_state=seed)
    x = torch.from_numpy(train.images)
    y = torch.from_numpy(train.labels)
    angles: dict[str, list[float]] = {}
    score: Callable[[torch.nn.Module, torch.Tensor, torch.Tensor], float] = _accuracy
    if kind == "fa":
        score = _logging_alignment(angles)
        score(net, x[:n_val], y[:n_val])  # angles of the untrained network (entry 0)
    history = train_module(
        net,
        [x[n_val:], y[n_val:]],
        _bce,
        validation_data=[x[:n_val], y[:n_val]],
        score_fn=score,
        learning_rate=learning_rate,
        batch_size=batch_size,
        max_epochs=max_epochs,
        patience=patience,
        seed=seed,
        device=device,
        description=f"tilt {kind}",
    )
    if angles:
        last = {name: round(values[-1], 1) for name, values in angles.items()}
        logger.info("tilt fa: alignment angles after training (degrees) %s", last)
    dev = next(net.parameters()).device
    with torch.no_grad():
        accuracy = _accuracy(
            net, torch.from_numpy(test.images).to(dev), torch.from_numpy(test.labels).to(dev)
        )
    return net, accuracy, TiltHistory(**vars(history), alignment_angles=angles)


def train_tilt_cnn(
    *,
    image_size: tuple[int, int] = (48, 64),
    n_train: int = 2000,
    n_test: int = 500,
    n_blocks: int = 1,
    max_epochs: int = 30,
    patience: int = 5,
    learning_rate: float = 3e-3,
    batch_size: int = 64,
    random_state: int | None = 0,
    device: str = "cpu",
) -> tuple[TiltCNN, float, TrainResult]:
    """Train a :class:`~neurodl.models.tilt.TiltCNN`: :func:`train_tilt_network` with "cnn".

    The first layer starts from the curriculum's filter bank
    (:func:`neurodl.stimuli.make_filter_bank` with 7x7 kernels).

    Returns
    -------
    module : TiltCNN
        The trained network (on ``device``).
    test_accuracy : float
        Fraction of held-out gratings classified correctly (chance 0.5).
    history : TrainResult
    """
    net, accuracy, history = train_tilt_network(
        "cnn",
        image_size=image_size,
        n_train=n_train,
        n_test=n_test,
        n_blocks=n_blocks,
        max_epochs=max_epochs,
        patience=patience,
        learning_rate=learning_rate,
        batch_size=batch_size,
        random_state=random_state,
        device=device,
    )
    assert isinstance(net, TiltCNN)
    return net, accuracy, history
