"""run_encoding's networks, and the images it renders for recordings of gratings without images."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neurodl.data.recording import Recording
from neurodl.encoding._validation import check_choice, check_positive
from neurodl.exceptions import NeurodlValueError

#: run_encoding's network: one layer of 16 7 x 7 filters on a map about 16 pixels across (a
#: quarter of the simulator's 48 x 64 images), trained for 8 epochs along a cosine schedule to
#: a learning rate of 0, without early stopping. On simulated gratings (300 neurons, 4,900
#: images) it scored mean FEVE 0.951 over 3 seeds (0.948-0.952) in an 18 s fit on one thread,
#: against 0.940 (0.937-0.952) for 8 epochs of a plateau schedule stopped early on a tenth of
#: the images. Pass ``encoder_params`` (or use CNNEncoder directly) for the full network on
#: natural or noise images.
RUN_CNN: dict[str, Any] = {
    "ensemble_size": 1,
    "lr_schedule": "cosine",
    "channels": (16,),
    "kernel_sizes": (7,),
    "batch_size": 128,
    "learning_rate_init": 1e-2,
    "max_iter": 8,
    "n_iter_no_change": 3,
    "early_stopping": False,
    "readout_l1": 1e-2,
    # a single layer hands its outputs straight to the readouts; squared (energy) channels there
    # made short, large-step training unstable (FEVE 0.35 against 0.62 on the small simulated
    # recording of tests/encoding/test_analysis.py)
    "energy": False,
    # no full-resolution filters either (CNNEncoder's fine_channels): this network is sized for
    # seconds; encoder_params can add them
    "fine_channels": 0,
}
#: quick=True: the same network with 8 filters, 100 neurons and 20 epochs of at most 600 images
#: (seconds). On the small simulated recording of tests/encoding/test_analysis.py its FEVE over
#: seeds 0-9 was 0.765-0.806 (median 0.785), where 8 epochs of a plateau schedule with early
#: stopping at quarter resolution had given 0.470-0.761 (median 0.632).
QUICK_CNN: dict[str, Any] = {**RUN_CNN, "channels": (8,), "max_iter": 20}
#: CNNEncoder(early_stopping="auto") holds out validation images below this many training images
AUTO_EARLY_STOPPING_IMAGES = 2000
#: at least this many optimiser steps when the training set is small (max_iter grows)
MIN_STEPS = 100
#: feature-map pixels across the larger image side that the default downsampling aims at
MAP_SIDE = 16

#: what run_encoding renders from orientations by default: the curriculum's gratings (48 x 64
#: pixels, square-wave bars, 1/28 radian per pixel of a 640-pixel-wide screen = 3.64 cycles per
#: image width, phase 0 at the top-left pixel)
GRATING_DEFAULTS: dict[str, Any] = {
    "size": (48, 64),
    "spatial_frequency": 640 / (28 * 2 * math.pi),
    "phase": 0.0,
    "profile": "square",
}


def holds_out_validation(early_stopping: bool | str, n_images: int) -> bool:
    """Whether CNNEncoder(early_stopping=...) holds out validation images from ``n_images``."""
    if early_stopping == "auto":
        return n_images < AUTO_EARLY_STOPPING_IMAGES
    return bool(early_stopping)


def default_downsample(image_size: tuple[int, int]) -> int:
    """Pooling factor that leaves about ``MAP_SIDE`` feature-map pixels across the larger side.

    A fixed factor of 4 left 24 x 32 images of 4-cycle gratings at 2 map pixels per cycle (the
    Nyquist limit): aliased features, and FEVE 0.71 against 0.79 with a factor of 2.
    """
    return max(1, round(max(image_size) / MAP_SIDE))


def network_params(
    *,
    quick: bool,
    image_size: tuple[int, int],
    n_train: int,
    encoder_params: dict[str, Any] | None,
) -> dict[str, Any]:
    """CNNEncoder parameters for run_encoding: its defaults, then the caller's ``encoder_params``.

    Downsampling follows the image size unless given. The batch never exceeds the images left
    for fitting, and unless ``max_iter`` is given, small training sets get enough epochs for
    ``MIN_STEPS`` optimiser steps.
    """
    own = dict(encoder_params or {})
    params: dict[str, Any] = dict(QUICK_CNN if quick else RUN_CNN)
    params["downsample"] = default_downsample(image_size)
    params.update(own)
    for key in ("random_state", "device", "verbose"):  # set by run_encoding's own arguments
        params.pop(key, None)
    n_fit = n_train
    if holds_out_validation(params.get("early_stopping", "auto"), n_train):
        n_fit -= round(float(params.get("validation_fraction", 0.1)) * n_train)
    params["batch_size"] = max(1, min(int(params.get("batch_size", 64)), n_fit))
    if "max_iter" not in own:
        per_epoch = math.ceil(n_fit / params["batch_size"])
        params["max_iter"] = max(int(params["max_iter"]), math.ceil(MIN_STEPS / per_epoch))
    return params


def render_gratings(
    recording: Recording,
    *,
    size: tuple[int, int],
    spatial_frequency: float,
    phase: float,
    profile: str,
) -> tuple[Recording, dict[str, Any]]:
    """Give a recording of gratings without images one full-field grating per orientation.

    Trials of the same orientation share an ``image_id`` (so they count as repeats). The
    recording itself is not changed.

    Returns
    -------
    recording : Recording
        A copy with ``images`` and ``image_id``.
    info : dict
        What was rendered (for metrics.json).
    """
    from neurodl.stimuli import make_grating

    if len(size) != 2 or any(not isinstance(s, (int, np.integer)) for s in size):
        raise NeurodlValueError(f"grating_size must be (height, width) in pixels; got {size!r}.")
    check_positive("grating_spatial_frequency", spatial_frequency)
    check_choice("grating_profile", profile, ("sine", "square"))
    if not math.isfinite(float(phase)):
        raise NeurodlValueError(f"grating_phase must be a finite number; got {phase!r}.")
    angles, image_id = np.unique(recording.stimulus["orientation"], return_inverse=True)
    images = make_grating(
        angles,
        size=(int(size[0]), int(size[1])),
        spatial_frequency=float(spatial_frequency),
        phase=float(phase),
        profile=profile,  # type: ignore[arg-type]
        centre=(0.0, 0.0),
    )
    stimulus = {**recording.stimulus, "image_id": image_id.astype(np.int64)}
    rendered = Recording(
        recording.responses,
        stimulus=stimulus,
        images=images,
        neurons=recording.neurons,
        meta=recording.meta,
    )
    info = {
        "images_rendered": True,
        "grating_size": [int(size[0]), int(size[1])],
        "grating_spatial_frequency": float(spatial_frequency),
        "grating_phase": float(phase),
        "grating_profile": profile,
        "n_orientations": int(angles.size),
    }
    return rendered, info
