"""``KeypointDetector``: learn keypoints from a few hundred labelled frames, then track videos.

A heatmap U-Net (:class:`neurodl.models.keypoints.KeypointHeatmapNet`) is trained from scratch
through :func:`neurodl.training.train_module`, with augmentation (rotation, zoom, shift, left–right
flips that swap left and right keypoints by name, colour-channel shuffles and grey frames,
brightness, contrast, blur, noise, cut-outs) and early stopping on held-out frames. At test time
each frame is also read mirrored and the two heatmaps averaged (``flip_test``). Peaks are refined
to sub-pixel precision; the confidence of a keypoint is the probability mass around its peak
(0–1). Saved as torch weights (loaded with
``weights_only=True``) plus a JSON config: no pickle.

Examples
--------
>>> from neurodl.pose.render import make_rendered_dataset
>>> frames, points, _ = make_rendered_dataset(2, 4, image_size=(64, 64), random_state=0)
>>> det = KeypointDetector(max_iter=1, early_stopping=False, random_state=0).fit(frames, points)
>>> det.predict(frames)[0].shape
(8, 14, 2)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from neurodl.exceptions import DataFormatError, DataValueError, NeurodlValueError
from neurodl.files import atomic_path, write_json
from neurodl.models.keypoints import (
    KeypointHeatmapNet,
    decode_heatmaps,
    gaussian_heatmaps,
    heatmap_loss,
)
from neurodl.pose._augment import augment_batch
from neurodl.pose.skeleton import mirror_permutation
from neurodl.training import resolve_device, seed_from, train_module

__all__ = ["SHIPPED_DETECTOR", "KeypointDetector", "load_infant_detector"]

_FORMAT = "neurodl-keypoint-detector"
SHIPPED_DETECTOR = Path(__file__).parent / "_models" / "infant14"
"""Folder of the detector shipped with neurodl, written by ``benchmarks/bench_pose_video.py --seeds
0 --threads 2 --save-model src/neurodl/pose/_models/infant14`` (rendered infants only)."""


def _as_images(images: Any, name: str = "images") -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or images.shape[0] == 0:
        raise DataValueError(
            f"{name} must be RGB frames of shape (n, height, width, 3); got {images.shape}."
        )
    if images.dtype == np.uint8:
        return images
    if not np.issubdtype(images.dtype, np.floating) or not np.all(np.isfinite(images)):
        raise DataValueError(f"{name} must be uint8 (0–255) or finite floats in [0, 1].")
    return np.clip(images * 255 + 0.5, 0, 255).astype(np.uint8)


def _to_tensor(images: np.ndarray, multiple: int) -> torch.Tensor:
    """uint8 (n, H, W, 3) → uint8 (n, 3, H', W') padded at the bottom/right to ``multiple``."""
    height, width = images.shape[1:3]
    ph, pw = -height % multiple, -width % multiple
    tensor = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
    if ph or pw:
        tensor = torch.nn.functional.pad(tensor, (0, pw, 0, ph), mode="replicate")
    return tensor.contiguous()


class KeypointDetector(BaseEstimator):
    """Heatmap keypoint detector with the scikit-learn contract.

    Parameters
    ----------
    keypoint_names : sequence of str, optional
        Names in column order; ``left_*``/``right_*`` pairs are swapped when training images are
        mirrored. Without names no flips are made.
    widths : tuple of ints
        Channels of the U-Net per level, from the heatmap resolution down (each level halves it).
        Inputs are padded at the bottom and right to multiples of ``output_stride × 2^(levels-1)``.
    output_stride : {2, 4}
    sigma : float
        Width of the Gaussian heatmap targets, in heatmap cells (× ``output_stride`` pixels).
        Sharp targets place small, thin parts better: on the rendered-infant benchmark (seed 0,
        1,000 frames of 250 infants, colour shuffles) PCK@0.2 was 0.924 at 1.5 cells, 0.945 at
        1.0 and 0.964 at 0.7, with the ankles at 0.77, 0.85 and 0.87; from 1,000 frames of
        1,000 infants, 0.5 beat 0.7 on each of 4 test sets for seeds 0 and 2 (800 frames of 200
        new infants: 0.957 and 0.958 against 0.954 and 0.950).
    max_iter : int
        Epochs at most. ``batch_size``, ``learning_rate_init``: AdamW with a cosine schedule.
    alpha : float
        L2 penalty (AdamW weight decay).
    augment : bool
    flip_test : bool
        Also run each frame mirrored left–right (with left and right keypoints swapped back) and
        average the two log-heatmaps before finding the peaks, as HRNet and SimpleBaseline do at
        test time. Only with ``keypoint_names`` (the pairs come from the names) and flips in
        training (``augment=True``); detection takes twice as long.
    early_stopping : bool
        Hold out ``validation_fraction`` of the frames (at least 10 frames needed) and keep the
        epoch with the smallest mean validation error; stop after ``n_iter_no_change`` epochs
        without improvement.
    device : {"cpu", "cuda", "auto", ...}
    random_state : int or None
    verbose : int
        0 silent, 1 a progress bar over epochs when stderr is a terminal, 2 always.

    Attributes
    ----------
    module_ : KeypointHeatmapNet
    n_keypoints_ : int
    keypoint_names_ : tuple of str
    image_shape_ : tuple (height, width) of the training frames
    loss_curve_, validation_scores_ : list of float
        Training loss and validation score (minus the mean error in pixels) per epoch.
    n_iter_ : int
    validation_indices_ : ndarray of int or None
        Frames held out for early stopping.
    seed_ : int
    device_ : torch.device
    """

    def __init__(
        self,
        *,
        keypoint_names: Sequence[str] | None = None,
        widths: tuple[int, ...] = (32, 64, 96),
        output_stride: int = 4,
        sigma: float = 0.5,
        max_iter: int = 60,
        batch_size: int = 16,
        learning_rate_init: float = 3e-3,
        alpha: float = 1e-4,
        augment: bool = True,
        flip_test: bool = True,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 15,
        device: str = "cpu",
        random_state: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.keypoint_names = keypoint_names
        self.widths = widths
        self.output_stride = output_stride
        self.sigma = sigma
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.alpha = alpha
        self.augment = augment
        self.flip_test = flip_test
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _check_fit_input(self, images: Any, keypoints: Any) -> tuple[np.ndarray, np.ndarray]:
        images = _as_images(images)
        keypoints = np.asarray(keypoints, dtype=np.float64)
        if keypoints.ndim != 3 or keypoints.shape[-1] != 2 or len(keypoints) != len(images):
            raise DataValueError(
                f"keypoints must have shape (n_images, n_keypoints, 2) with n_images = "
                f"{len(images)}; got {keypoints.shape}."
            )
        names = self.keypoint_names
        if names is not None and len(names) != keypoints.shape[1]:
            raise DataValueError(
                f"keypoint_names has {len(names)} names but keypoints have {keypoints.shape[1]}."
            )
        if not np.isfinite(keypoints).all(axis=-1).any():
            raise DataValueError("keypoints hold no labelled point (all NaN).")
        if self.output_stride not in (2, 4):
            raise NeurodlValueError(f"output_stride must be 2 or 4; got {self.output_stride!r}.")
        if self.max_iter < 1 or self.batch_size < 1:
            raise NeurodlValueError("max_iter and batch_size must be >= 1.")
        return images, keypoints

    def _multiple(self) -> int:
        """Input sides must be multiples of this (the network's total down-sampling)."""
        return int(self.output_stride) * 2 ** (len(self.widths) - 1)

    def _split(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
        if not self.early_stopping or n < 10:
            return np.arange(n), None
        if not 0.0 < self.validation_fraction < 1.0:
            raise NeurodlValueError(
                f"validation_fraction must be in (0, 1); got {self.validation_fraction!r}."
            )
        order = np.random.default_rng(seed).permutation(n)
        n_val = max(1, round(self.validation_fraction * n))
        return np.sort(order[n_val:]), np.sort(order[:n_val])

    def _losses(self, height: int, width: int):  # type: ignore[no-untyped-def]
        stride, sigma = self.output_stride, float(self.sigma)
        perm = self.flip_permutation_ if self.augment else None
        augment = self.augment

        def loss_fn(module, images, keypoints):  # type: ignore[no-untyped-def]
            x = images.float() / 255.0
            if augment:
                x, keypoints = augment_batch(x, keypoints, perm)
            target, known = gaussian_heatmaps(
                keypoints, height // stride, width // stride, stride, sigma
            )
            return heatmap_loss(module(x), target, known)

        def score_fn(module, images, keypoints):  # type: ignore[no-untyped-def]
            points, _ = decode_heatmaps(self._heatmaps(module, images), stride)
            error = torch.linalg.vector_norm(points - keypoints, dim=-1)
            return -float(error[torch.isfinite(error)].mean())

        return loss_fn, score_fn

    def fit(self, images: Any, keypoints: Any) -> KeypointDetector:
        """Train on RGB frames (n, H, W, 3) and keypoints (n, K, 2) in pixels (NaN: unlabelled)."""
        images, keypoints = self._check_fit_input(images, keypoints)
        self.seed_ = seed_from(self.random_state)
        self.device_ = resolve_device(self.device)
        self.n_keypoints_ = int(keypoints.shape[1])
        names = self.keypoint_names or [f"keypoint_{k}" for k in range(self.n_keypoints_)]
        self.keypoint_names_ = tuple(str(n) for n in names)
        perm = mirror_permutation(self.keypoint_names_)
        self.flip_permutation_ = perm if self.keypoint_names is not None else None
        self.image_shape_ = tuple(int(v) for v in images.shape[1:3])
        tensor = _to_tensor(images, self._multiple())
        height, width = tensor.shape[-2:]
        points = torch.as_tensor(keypoints, dtype=torch.float32)
        train, val = self._split(len(images), self.seed_)
        self.validation_indices_ = val
        with torch.random.fork_rng():
            torch.manual_seed(self.seed_)
            self.module_ = KeypointHeatmapNet(
                self.n_keypoints_, widths=tuple(self.widths), output_stride=self.output_stride
            )
        loss_fn, score_fn = self._losses(int(height), int(width))
        result = train_module(
            self.module_,
            [tensor[train], points[train]],
            loss_fn,
            validation_data=None if val is None else [tensor[val], points[val]],
            score_fn=None if val is None else score_fn,
            optimizer="adamw",
            learning_rate=self.learning_rate_init,
            weight_decay=self.alpha,
            batch_size=self.batch_size,
            max_epochs=self.max_iter,
            patience=self.n_iter_no_change if val is not None else None,
            seed=self.seed_,
            device=self.device_,
            progress=None if self.verbose == 1 else self.verbose > 1,
            description="keypoint detector",
            lr_schedule="cosine",
        )
        self.loss_curve_ = result.loss_curve
        self.validation_scores_ = result.validation_curve
        self.n_iter_ = result.n_epochs
        return self

    def _test_permutation(self) -> list[int] | None:
        """The left–right swap used at test time, or None without flip testing."""
        if not (self.flip_test and self.augment and self.keypoint_names is not None):
            return None
        return mirror_permutation(self.keypoint_names_)

    def _heatmaps(self, module: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
        """Log-heatmaps of uint8 images (N, 3, H, W); averaged with the mirrored frames' maps."""
        x = images.float() / 255.0
        out = module(x)
        log_p = torch.log_softmax(out.flatten(-2), dim=-1).reshape(out.shape)
        perm = self._test_permutation()
        if perm is None:
            return log_p
        mirrored = module(x.flip(-1))
        log_m = torch.log_softmax(mirrored.flatten(-2), dim=-1).reshape(out.shape)
        return 0.5 * (log_p + log_m.flip(-1)[:, perm])

    def predict(self, images: Any, *, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (n, K, 2) in pixels and their confidence (n, K) in [0, 1] for RGB frames."""
        check_is_fitted(self, "module_")
        images = _as_images(images)
        self.module_.eval()
        points, confidence = [], []
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                x = _to_tensor(images[start : start + batch_size], self._multiple())
                heatmaps = self._heatmaps(self.module_, x.to(self.device_))
                p, c = decode_heatmaps(heatmaps, self.output_stride)
                points.append(p.cpu().numpy())
                confidence.append(c.cpu().numpy())
        return np.concatenate(points).astype(np.float64), np.concatenate(confidence)

    def save(self, directory: Path | str, *, skeleton: Sequence[tuple[int, int]] = ()) -> None:
        """Write ``config.json`` (parameters, names, curves) and ``weights.pt`` in ``directory``.

        ``skeleton`` (0-based index pairs) is kept for drawing; :meth:`load` sets ``skeleton_``.
        """
        check_is_fitted(self, "module_")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with atomic_path(directory / "weights.pt", suffix=".pt") as tmp:
            torch.save({k: v.cpu() for k, v in self.module_.state_dict().items()}, tmp)
        params = self.get_params()
        params["keypoint_names"] = list(self.keypoint_names_) if self.keypoint_names else None
        params["widths"] = list(self.widths)
        write_json(
            directory / "config.json",
            {
                "format": _FORMAT,
                "version": 1,
                "params": params,
                "keypoint_names": list(self.keypoint_names_),
                "image_shape": list(self.image_shape_),
                "seed": self.seed_,
                "n_iter": self.n_iter_,
                "loss_curve": self.loss_curve_,
                "validation_scores": self.validation_scores_,
                "skeleton": [[int(i), int(j)] for i, j in skeleton],
            },
        )

    @classmethod
    def load(cls, directory: Path | str, *, device: str = "cpu") -> KeypointDetector:
        """Load a detector written by :meth:`save` (weights read with ``weights_only=True``)."""
        directory = Path(directory)
        config = _read_config(directory)
        params = dict(config["params"], device=device)
        params["widths"] = tuple(params["widths"])
        detector = cls(**params)
        detector.keypoint_names_ = tuple(config["keypoint_names"])
        detector.n_keypoints_ = len(detector.keypoint_names_)
        detector.image_shape_ = tuple(config["image_shape"])
        detector.seed_, detector.n_iter_ = config["seed"], config["n_iter"]
        detector.loss_curve_ = config["loss_curve"]
        detector.validation_scores_ = config["validation_scores"]
        detector.flip_permutation_ = None
        detector.skeleton_ = tuple((int(i), int(j)) for i, j in config.get("skeleton", []))
        detector.device_ = resolve_device(device)
        module = KeypointHeatmapNet(
            detector.n_keypoints_, widths=params["widths"], output_stride=params["output_stride"]
        )
        try:
            state = torch.load(directory / "weights.pt", map_location="cpu", weights_only=True)
            module.load_state_dict(state)
        except FileNotFoundError:
            raise DataFormatError(f"model {str(directory)!r} lacks weights.pt.") from None
        except (RuntimeError, KeyError, EOFError, ValueError) as exc:
            raise DataFormatError(
                f"model {str(directory)!r}: weights.pt does not fit its config: {exc}"
            ) from None
        detector.module_ = module.to(detector.device_).eval()
        return detector


def load_infant_detector(*, device: str = "cpu") -> KeypointDetector:
    """The detector in :data:`SHIPPED_DETECTOR`: the 14 body keypoints of rendered supine infants.

    Trained from scratch by ``benchmarks/bench_pose_video.py --seeds 0 --save-model ...`` (the
    defaults of :class:`KeypointDetector`, 1,000 rendered 128×128 frames of 1,000 infants, no real
    images and no downloaded weights): for the demo and for trying the pipeline on frames like
    :func:`neurodl.pose.render.render_infant_video`'s (a supine infant about two thirds of the
    frame high, head up). On real videos, train your own on labelled frames of them
    (``neurodl pose train``).

    Examples
    --------
    >>> detector = load_infant_detector()
    >>> detector.keypoint_names_[:3]
    ('nose', 'neck', 'right_shoulder')
    """
    return KeypointDetector.load(SHIPPED_DETECTOR, device=device)


def _read_config(directory: Path) -> dict[str, Any]:
    path = directory / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFormatError(f"model {str(directory)!r} lacks config.json.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"model config {str(path)!r} is not valid JSON: {exc}.") from None
    if not isinstance(config, dict) or config.get("format") != _FORMAT:
        raise DataFormatError(f"{str(path)!r} is not a neurodl keypoint detector config.")
    missing = [k for k in ("params", "keypoint_names", "image_shape") if k not in config]
    if missing:
        raise DataFormatError(f"model config {str(path)!r} lacks {missing}.")
    return config
