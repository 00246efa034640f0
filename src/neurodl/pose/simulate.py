"""Simulated supine infants: 2-D keypoint trajectories with known labels.

A planar body (neck, shoulders, hips, head points) with two-segment arms and legs. Each of the
eight limb angles (shoulder, elbow, hip, knee on both sides) is ``base + slow + fast``: a slow
Ornstein–Uhlenbeck process (writhing-like, time constant ~0.8 s) and a faster, smaller one
(fidgety-like, present from ~9 weeks). Typical movers are variable and their limbs move mostly
independently. Atypical movers have one of three patterns whose strength grows with ``severity``:

``cramped``
    left and right limbs coupled (synchronised), smaller and less variable movements;
``poor_repertoire``
    smaller, slower, smoother (less complex) movements, few fidgety movements;
``one_sided``
    one side much weaker and slower than the other.

Nuisances that must not look like risk vary with ``nuisance``: camera distance and in-plane
rotation, body position in the image, frame rate, body size (±15 % limb proportions), tracking
jitter, low-confidence outliers and missing points (runs of frames, and frames where nobody was
detected).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter

from neurodl.exceptions import NeurodlValueError
from neurodl.pose.data import Pose
from neurodl.pose.skeleton import CANONICAL_KEYPOINTS

__all__ = ["ATYPICAL_KINDS", "simulate_infant_movements"]

ATYPICAL_KINDS: tuple[str, ...] = ("cramped", "poor_repertoire", "one_sided")
_FRAME_RATES = (15.0, 25.0, 30.0, 50.0, 60.0)
# Joint order per side: shoulder, elbow, hip, knee. Bases in degrees (left side; image x to the
# infant's left, y down): limb-segment direction, and the bend of the distal segment.
_BASE = np.array([35.0, -70.0, 80.0, -35.0])
_SLOW_SD = np.array([22.0, 25.0, 15.0, 22.0])
_FAST_SD = np.array([6.0, 8.0, 5.0, 7.0])
_SEGMENTS = np.array([0.45, 0.40, 0.50, 0.45])  # upper arm, forearm, thigh, shank (trunk units)


def _ou(rng: np.random.Generator, n: int, k: int, tau_frames: float) -> NDArray[np.float64]:
    """``k`` smooth unit-variance series of ``n`` frames: white noise through two first-order
    low-pass stages of time constant ``tau_frames`` (a differentiable, critically damped process,
    so velocities do not depend on the frame rate)."""
    a = float(np.exp(-1.0 / max(tau_frames, 1e-3)))
    burn = int(10 * tau_frames) + 1
    scale = np.sqrt((1 - a * a) ** 3 / (1 + a * a))  # unit stationary variance of the cascade
    noise = rng.standard_normal((k, n + burn)) * scale
    out = lfilter([1.0], [1.0, -2 * a, a * a], noise, axis=1)[:, burn:]
    return np.asarray(out).T


def _profile(kind: str, severity: float, rng: np.random.Generator) -> dict[str, object]:
    """Amplitudes, time scales and coupling of one infant's movement."""
    side_gain = np.ones(2)  # left, right
    prof: dict[str, object] = {"amp": 1.0, "tau": 1.0, "fast": 1.0, "coupling": 0.15}
    s = severity
    if kind == "cramped":
        prof.update(amp=1 - 0.4 * s, coupling=0.15 + 0.8 * s, fast=1 - 0.7 * s, tau=1 + 0.5 * s)
    elif kind == "poor_repertoire":
        prof.update(amp=1 - 0.55 * s, tau=1 + 2.0 * s, fast=1 - 0.9 * s)
    elif kind == "one_sided":
        side_gain[rng.integers(2)] = 1 - 0.8 * s
    prof["side_gain"] = side_gain
    return prof


def _angles(
    rng: np.random.Generator, n: int, fps: float, age: float, prof: dict[str, object]
) -> NDArray[np.float64]:
    """Limb angles in degrees, shape (n, 2 sides, 4 joints)."""
    own_amp = np.exp(rng.normal(0, 0.15))
    tau_slow = 0.5 * float(prof["tau"]) * np.exp(rng.normal(0, 0.15)) * fps  # type: ignore[arg-type]
    fidgety = 1 / (1 + np.exp(-(age - 9.0) / 1.5)) * float(prof["fast"])  # type: ignore[arg-type]
    c = float(prof["coupling"])  # type: ignore[arg-type]
    own = _ou(rng, n, 8, tau_slow).reshape(n, 2, 4)
    shared = _ou(rng, n, 4, tau_slow)[:, None, :]
    slow = np.sqrt(1 - c) * own + np.sqrt(c) * shared
    fast = _ou(rng, n, 8, 0.15 * fps * float(prof["tau"])).reshape(n, 2, 4)  # type: ignore[arg-type]
    gain = np.asarray(prof["side_gain"])[None, :, None] * float(prof["amp"]) * own_amp  # type: ignore[arg-type]
    base = _BASE + rng.normal(0, 5.0, size=4)
    return base + gain * (_SLOW_SD * slow + (0.4 + fidgety) * _FAST_SD * fast)


def _body(rng: np.random.Generator, angles: NDArray[np.float64]) -> NDArray[np.float64]:
    """Keypoints in trunk units (neck at 0, hips below), shape (n, 18, 2), canonical order."""
    n = angles.shape[0]
    seg = _SEGMENTS * np.exp(rng.normal(0, 0.07, size=4))
    sw, hw = 0.45 * np.exp(rng.normal(0, 0.07)), 0.3 * np.exp(rng.normal(0, 0.07))
    pts = np.full((n, len(CANONICAL_KEYPOINTS), 2), np.nan)
    name = {k: i for i, k in enumerate(CANONICAL_KEYPOINTS)}
    head = {"nose": (0, -0.35), "neck": (0, 0), "right_eye": (-0.08, -0.42)}
    head |= {"left_eye": (0.08, -0.42), "right_ear": (-0.18, -0.38), "left_ear": (0.18, -0.38)}
    for key, xy in head.items():
        pts[:, name[key]] = xy
    for s, (side, sign) in enumerate((("left", 1.0), ("right", -1.0))):
        for j0, (root, mid, tip, root_xy) in enumerate(
            (("shoulder", "elbow", "wrist", (sw, 0.05)), ("hip", "knee", "ankle", (hw, 1.0)))
        ):
            a1 = np.radians(angles[:, s, 2 * j0])
            a2 = a1 + np.radians(angles[:, s, 2 * j0 + 1])
            r = np.array([sign * root_xy[0], root_xy[1]])
            m = r + seg[2 * j0] * np.stack([sign * np.cos(a1), np.sin(a1)], axis=1)
            t = m + seg[2 * j0 + 1] * np.stack([sign * np.cos(a2), np.sin(a2)], axis=1)
            pts[:, name[f"{side}_{root}"]] = r
            pts[:, name[f"{side}_{mid}"]], pts[:, name[f"{side}_{tip}"]] = m, t
    return pts


def _camera(
    rng: np.random.Generator, body: NDArray[np.float64], level: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], dict[str, float]]:
    """Place the body in the image and add tracking noise, outliers and missing points."""
    n, k, _ = body.shape
    rot = np.radians(rng.uniform(-25, 25) * level)
    scale = 150.0 * np.exp(rng.normal(0, 0.3 * level)) * np.exp(rng.normal(0, 0.1))
    shift = np.array([320.0, 200.0]) + rng.uniform(-80, 80, size=2) * level
    rmat = np.array([[np.cos(rot), -np.sin(rot)], [np.sin(rot), np.cos(rot)]])
    xy = body @ rmat.T * scale + shift
    xy += rng.normal(0, 0.02 * level * scale, size=xy.shape)
    conf = np.clip(rng.beta(8, 1.5, size=(n, k)), 0.35, 1.0)
    outlier = rng.random((n, k)) < 0.02 * level
    xy[outlier] += rng.normal(0, 0.4 * scale, size=(int(outlier.sum()), 2))
    conf[outlier] = rng.uniform(0.0, 0.25, size=int(outlier.sum()))
    missing = np.zeros((n, k), dtype=bool)
    for _ in range(int(0.01 * level * n * k / 5)):
        f, j = rng.integers(n), rng.integers(k)
        missing[f : f + rng.integers(1, 10), j] = True
    missing[rng.random(n) < 0.01 * level] = True  # nobody detected
    xy[missing], conf[missing] = np.nan, 0.0
    nuisance = {"rotation_deg": float(np.degrees(rot)), "scale_px": float(scale)}
    return xy, conf, nuisance


def _check(n_infants: int, atypical_fraction: float, severity: float, duration: float) -> None:
    if n_infants < 1:
        raise NeurodlValueError(f"n_infants must be at least 1; got {n_infants}.")
    if not 0 <= atypical_fraction <= 1:
        raise NeurodlValueError(f"atypical_fraction must be in [0, 1]; got {atypical_fraction}.")
    if not 0 <= severity <= 1:
        raise NeurodlValueError(f"severity must be in [0, 1]; got {severity}.")
    if duration <= 2:
        raise NeurodlValueError(f"duration must be more than 2 seconds; got {duration}.")


def simulate_infant_movements(
    n_infants: int = 40,
    *,
    atypical_fraction: float = 0.5,
    severity: float = 0.6,
    kinds: tuple[str, ...] = ATYPICAL_KINDS,
    duration: float = 60.0,
    videos_per_infant: int = 1,
    age_range: tuple[float, float] = (6.0, 18.0),
    fps: float | None = None,
    nuisance: float = 1.0,
    reference_fraction: float = 0.5,
    random_state: int | np.random.Generator | None = None,
) -> list[Pose]:
    """Simulate supine infants' keypoint trajectories with known labels.

    Parameters
    ----------
    n_infants : int
        Number of infants; the first ``round(atypical_fraction * n_infants)`` are atypical.
    atypical_fraction : float
        Fraction of atypical movers.
    severity : float in [0, 1]
        Strength of the atypical pattern (0: indistinguishable from typical).
    kinds : tuple of str
        Atypical patterns, assigned in turn: any of ``cramped``, ``poor_repertoire``, ``one_sided``.
    duration : float
        Seconds per video.
    videos_per_infant : int
        Videos per infant (same movement profile, new camera and noise).
    age_range : (float, float)
        Ages in weeks, drawn uniformly (fidgety movements appear from ~9 weeks).
    fps : float, optional
        Frame rate; by default one of 15, 25, 30, 50, 60 per video (30 when ``nuisance`` is 0).
    nuisance : float
        Scale of the camera and tracking nuisances (0: fixed camera, no noise, no missing points).
    reference_fraction : float
        Fraction of the typical infants put in the reference group (``meta["group"]``:
        ``"reference"``); the others and all atypical infants are ``"test"``.
    random_state : int or Generator, optional
        Seed.

    Returns
    -------
    list of Pose
        One per video, in pixels; ``meta`` holds ``infant``, ``age_weeks``, ``label`` (1 atypical),
        ``group``, ``kind``, ``severity`` and the nuisances drawn.

    Examples
    --------
    >>> poses = simulate_infant_movements(4, duration=5.0, random_state=0)
    >>> [p.meta["label"] for p in poses]
    [1, 1, 0, 0]
    """
    _check(n_infants, atypical_fraction, severity, duration)
    bad = sorted(set(kinds) - set(ATYPICAL_KINDS))
    if bad or not kinds:
        raise NeurodlValueError(f"kinds must be from {set(ATYPICAL_KINDS)}; got {kinds!r}.")
    rng = np.random.default_rng(random_state)
    n_atypical = round(atypical_fraction * n_infants)
    n_reference = round(reference_fraction * (n_infants - n_atypical))
    poses = []
    for i in range(n_infants):
        label = int(i < n_atypical)
        kind = kinds[i % len(kinds)] if label else "typical"
        age = float(rng.uniform(*age_range))
        prof = _profile(kind, severity if label else 0.0, rng)
        for v in range(videos_per_infant):
            rate = (
                float(fps) if fps else (30.0 if nuisance == 0 else float(rng.choice(_FRAME_RATES)))
            )
            n = round(duration * rate)
            body = _body(rng, _angles(rng, n, rate, age, prof))
            xy, conf, extra = _camera(rng, body, nuisance)
            group = "reference" if n_atypical <= i < n_atypical + n_reference else "test"
            meta = {"infant": f"infant{i:03d}", "age_weeks": round(age, 1), "label": label}
            meta["group"] = group
            meta |= {"kind": kind, "severity": severity if label else 0.0, "video": v}
            meta |= {"source": "simulated", **extra}
            poses.append(Pose(xy, conf, keypoints=CANONICAL_KEYPOINTS, fps=rate, meta=meta))
    return poses
