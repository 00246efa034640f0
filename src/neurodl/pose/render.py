"""Rendered supine infants with exact ground-truth keypoints, for tests, benchmarks and the demo.

:func:`render_infant_video` draws an infant seen from above, lying on its back, from keypoint
trajectories of shape (n_frames, n_keypoints, 2) in pixels: a textured trunk, tapered limbs in
sleeves or bare, hands, feet, a head with hair, eyes and ears; on a mattress, blanket or floor,
under a lighting gradient, with blur, sensor noise and toys that pass in front. The keypoints drawn
are the keypoints given, so the labels it writes are exact. Left and right are the infant's own:
with the head at the top of the image, the infant's left side is on the image's right.

:func:`simulate_supine_keypoints` is a small stand-in trajectory generator (Ornstein–Uhlenbeck
joint angles plus oscillations, planar, with foreshortening when limbs are lifted). The movement
simulator of :mod:`neurodl.pose` produces richer, clinically grounded trajectories; its output can
be passed to the renderer in place of this one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from neurodl.exceptions import DataValueError, NeurodlValueError
from neurodl.files import atomic_directory
from neurodl.pose._appearance import Appearance, finish_frame, make_background, make_texture
from neurodl.pose._appearance import sample_appearance as _sample
from neurodl.pose._infant_body import body_frame, draw_infant, head_points
from neurodl.pose._raster import draw_disc, draw_polygon
from neurodl.pose.labels import PoseLabels, write_coco_keypoints
from neurodl.pose.skeleton import CANONICAL_KEYPOINTS, CANONICAL_SKELETON
from neurodl.pose.video import VideoWriter

__all__ = [
    "Appearance",
    "iter_infant_frames",
    "make_rendered_dataset",
    "render_infant_frames",
    "render_infant_video",
    "sample_appearance",
    "simulate_supine_keypoints",
]

REQUIRED = CANONICAL_KEYPOINTS[:14]  # nose, neck, shoulders…ankles: the 14 body keypoints


def sample_appearance(random_state: int | np.random.Generator | None = None) -> Appearance:
    """One infant's skin, clothes and room, drawn at random."""
    return _sample(np.random.default_rng(random_state))


def _ou(rng: np.random.Generator, n: int, dt: float, tau: float, sd: float) -> np.ndarray:
    """An Ornstein–Uhlenbeck path with zero mean, stationary SD ``sd``, time constant ``tau``."""
    a = np.exp(-dt / tau)
    noise = rng.normal(0, sd * np.sqrt(1 - a * a), n)
    out = np.empty(n)
    out[0] = rng.normal(0, sd)
    for t in range(1, n):
        out[t] = a * out[t - 1] + noise[t]
    return out


def _angle(rng: np.random.Generator, n: int, dt: float, mean: float, sd: float) -> np.ndarray:
    t = np.arange(n) * dt
    wave = rng.uniform(0, 0.6 * sd) * np.sin(
        2 * np.pi * rng.uniform(0.5, 2.0) * t + rng.uniform(0, 6.3)
    )
    return mean + _ou(rng, n, dt, rng.uniform(0.3, 1.0), sd) + wave


def _limb(rng, n, dt, base, side, spread, flex, lengths, lift):  # type: ignore[no-untyped-def]
    """Joint and end positions (body frame: a up, b to the infant's left) of one limb."""
    alpha = np.clip(_angle(rng, n, dt, rng.uniform(*spread), 0.35), -0.3, 2.9)
    beta = np.clip(_angle(rng, n, dt, rng.uniform(*flex), 0.4), 0.0, 2.5)
    f1 = 1 - np.clip(np.abs(_ou(rng, n, dt, 0.8, lift)), 0, 0.55)
    f2 = 1 - np.clip(np.abs(_ou(rng, n, dt, 0.8, lift)), 0, 0.55)
    d1 = np.stack([-np.cos(alpha), side * np.sin(alpha)], axis=1)
    turn = alpha - beta
    d2 = np.stack([-np.cos(turn), side * np.sin(turn)], axis=1)
    joint = base + d1 * (lengths[0] * f1)[:, None]
    return joint, joint + d2 * (lengths[1] * f2)[:, None]


def simulate_supine_keypoints(
    n_frames: int,
    *,
    image_size: tuple[int, int] = (128, 128),
    fps: float = 30.0,
    body_scale: float | None = None,
    random_state: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Keypoints of one moving supine infant, in the 18 canonical names' order.

    A stand-in until the movement simulator is used: planar joint angles follow
    Ornstein–Uhlenbeck processes plus slow oscillations; limb lengths shrink when a limb is
    lifted towards the camera; the trunk drifts and turns slowly.

    Parameters
    ----------
    image_size : (height, width)
    body_scale : float, optional
        Trunk length (neck to mid-hip) as a fraction of the smaller image side; drawn from
        [0.19, 0.27] when None.

    Returns
    -------
    ndarray of shape (n_frames, 18, 2)
        x, y in pixels (``CANONICAL_KEYPOINTS`` order).
    """
    if n_frames < 1:
        raise NeurodlValueError(f"n_frames must be >= 1; got {n_frames!r}.")
    rng = np.random.default_rng(random_state)
    dt, n = 1.0 / fps, int(n_frames)
    height, width = image_size
    scale = rng.uniform(0.19, 0.27) if body_scale is None else body_scale
    length = scale * min(height, width) * rng.uniform(0.95, 1.05, n_frames).mean()
    sw, hw = rng.uniform(0.36, 0.46), rng.uniform(0.22, 0.3)
    arm = np.array([rng.uniform(0.42, 0.52), rng.uniform(0.36, 0.46)])
    leg = np.array([rng.uniform(0.42, 0.52), rng.uniform(0.4, 0.5)])
    points = np.zeros((n, 18, 2))
    pos = {"neck": np.array([0.5, 0.0]), "right_hip": np.array([-0.5, -hw])}
    pos["left_hip"] = np.array([-0.5, hw])
    pos["right_shoulder"], pos["left_shoulder"] = np.array([0.45, -sw]), np.array([0.45, sw])
    index = {name: i for i, name in enumerate(CANONICAL_KEYPOINTS)}
    for name in ("neck", "right_shoulder", "left_shoulder", "right_hip", "left_hip"):
        points[:, index[name]] = pos[name]
    for side, tag in ((-1, "right"), (1, "left")):
        elbow, wrist = _limb(
            rng, n, dt, pos[f"{tag}_shoulder"], side, (0.3, 1.4), (0.3, 1.6), arm, 0.3
        )
        knee, ankle = _limb(rng, n, dt, pos[f"{tag}_hip"], side, (0.1, 0.6), (0.3, 1.5), leg, 0.4)
        for name, value in (("elbow", elbow), ("wrist", wrist), ("knee", knee), ("ankle", ankle)):
            points[:, index[f"{tag}_{name}"]] = value
    tilt = _angle(rng, n, dt, 0.0, 0.15)
    yaw = np.clip(_angle(rng, n, dt, rng.uniform(-0.4, 0.4), 0.35), -1.2, 1.2)
    head = head_points(pos["neck"], tilt, yaw)
    for name, value in head.items():
        points[:, index[name]] = value
    centre = np.array([width / 2, height / 2]) + np.stack(
        [_ou(rng, n, dt, 2.0, 0.06 * width), _ou(rng, n, dt, 2.0, 0.04 * height)], axis=1
    )
    theta = rng.uniform(-0.5, 0.5) + _ou(rng, n, dt, 2.0, 0.12)
    axis_a, axis_b = body_frame(theta)
    return (
        centre[:, None, :]
        + length * points[..., :1] * axis_a[:, None, :]
        + length * points[..., 1:] * axis_b[:, None, :]
    )


def _check_keypoints(keypoints: np.ndarray, names: Sequence[str]) -> np.ndarray:
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if keypoints.ndim != 3 or keypoints.shape[1:] != (len(names), 2):
        raise DataValueError(
            f"keypoints must have shape (n_frames, {len(names)}, 2) for {len(names)} names; got "
            f"{keypoints.shape}."
        )
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise DataValueError(f"the renderer needs the keypoints {missing}; names lack them.")
    if not np.all(np.isfinite(keypoints)):
        raise DataValueError("keypoints to render must be finite (no NaN or inf).")
    return keypoints


def _occluder(rng: np.random.Generator, n: int, size: tuple[int, int], scale: float):  # type: ignore[no-untyped-def]
    """A toy or hand crossing the scene: centre per frame, radius, colour and shape."""
    height, width = size
    start = rng.uniform([0, 0], [width, height])
    velocity = rng.normal(0, 0.6, 2)
    path = start + velocity * np.arange(n)[:, None]
    return (
        path,
        scale * rng.uniform(0.15, 0.35),
        rng.uniform(0, 1, 3).astype(np.float32),
        rng.integers(3),
    )


def iter_infant_frames(
    keypoints: np.ndarray,
    *,
    names: Sequence[str] = CANONICAL_KEYPOINTS,
    image_size: tuple[int, int] = (128, 128),
    appearance: Appearance | None = None,
    random_state: int | np.random.Generator | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(frame, visible)`` per time step: an RGB uint8 frame and which keypoints show.

    ``visible`` is False where a passing toy covers the keypoint. Eyes and ears are drawn where
    given, else placed from the nose and neck.
    """
    keypoints = _check_keypoints(keypoints, names)
    rng = np.random.default_rng(random_state)
    look = _sample(rng) if appearance is None else appearance
    height, width = image_size
    background = make_background(look, height, width)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    lookup = {name: i for i, name in enumerate(names)}
    occ = _occluder(
        rng,
        len(keypoints),
        image_size,
        float(
            np.median(
                np.linalg.norm(keypoints[:, lookup["neck"]] - keypoints[:, lookup["nose"]], axis=1)
            )
        )
        * 2.2,
    )
    show_occ = rng.uniform() < look.occluder_rate
    for t, frame_points in enumerate(keypoints):
        canvas = background.copy()
        draw_infant(canvas, dict(zip(names, frame_points, strict=True)), look, xs, ys)
        visible = np.ones(len(names), bool)
        if show_occ:
            mask = np.zeros((height, width, 1), np.float32)
            centre, radius, color, shape = occ[0][t], occ[1], occ[2], occ[3]
            _draw_occluder(canvas, mask, centre, radius, color, int(shape), look, xs, ys)
            cols = np.clip(np.round(frame_points[:, 0]).astype(int), 0, width - 1)
            rows = np.clip(np.round(frame_points[:, 1]).astype(int), 0, height - 1)
            visible = mask[rows, cols, 0] < 0.5
        yield finish_frame(canvas, look, rng, 1 + rng.normal(0, 0.02)), visible


def _draw_occluder(canvas, mask, centre, radius, color, shape, look, xs, ys) -> None:  # type: ignore[no-untyped-def]
    one = np.ones(1, np.float32)
    if shape == 0:
        texture = make_texture("stripes", (color, 1 - color), 5.0, xs, ys)
        draw_disc(canvas, centre, radius, color, texture=texture)
        draw_disc(mask, centre, radius, one)
        return
    angle = np.linspace(0, 2 * np.pi, 4 + shape, endpoint=False) + look.light_angle
    vertices = centre + radius * np.stack([np.cos(angle), np.sin(angle) * 0.7], axis=1)
    draw_polygon(canvas, vertices, color)
    draw_polygon(mask, vertices, one)


def render_infant_frames(
    keypoints: np.ndarray,
    *,
    names: Sequence[str] = CANONICAL_KEYPOINTS,
    image_size: tuple[int, int] = (128, 128),
    appearance: Appearance | None = None,
    random_state: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """All frames at once: RGB uint8 (n_frames, H, W, 3) and ``visible`` (n_frames, K)."""
    pairs = list(
        iter_infant_frames(
            keypoints,
            names=names,
            image_size=image_size,
            appearance=appearance,
            random_state=random_state,
        )
    )
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def render_infant_video(
    keypoints: np.ndarray,
    video_path: Path | str,
    *,
    names: Sequence[str] = CANONICAL_KEYPOINTS,
    image_size: tuple[int, int] = (128, 128),
    fps: float = 30.0,
    labels_path: Path | str | None = None,
    appearance: Appearance | None = None,
    random_state: int | np.random.Generator | None = None,
) -> PoseLabels:
    """Render an infant to a video file, and optionally to labelled PNG frames with COCO labels.

    Parameters
    ----------
    keypoints : ndarray of shape (n_frames, n_keypoints, 2)
        Pixel coordinates (x, y) in an image of ``image_size`` = (height, width); ``names`` must
        include the 14 body keypoints (nose, neck, shoulders, elbows, wrists, hips, knees, ankles).
    video_path : path
        ``.mp4``, ``.avi``, ``.mov`` or ``.mkv``.
    labels_path : path, optional
        A COCO keypoint JSON to write; the frames go beside it as PNG files in
        ``<labels stem>_frames/`` (lossless, exact for training).

    Returns
    -------
    PoseLabels
        The exact keypoints with frame file names; hidden keypoints have ``visible`` False.
    """
    keypoints = _check_keypoints(keypoints, names)
    from PIL import Image

    labels_file = None if labels_path is None else Path(labels_path)
    root = Path(video_path).parent if labels_file is None else labels_file.parent
    folder_name = f"{(labels_file or Path(video_path)).stem}_frames"
    frames = iter_infant_frames(
        keypoints,
        names=names,
        image_size=image_size,
        appearance=appearance,
        random_state=random_state,
    )
    visible = np.zeros(keypoints.shape[:2], bool)
    images = [f"{folder_name}/{t:06d}.png" for t in range(len(keypoints))]
    with VideoWriter(video_path, fps) as writer:
        if labels_file is None:
            for t, (frame, shown) in enumerate(frames):
                writer.write(frame)
                visible[t] = shown
        else:
            with atomic_directory(root / folder_name) as folder:
                for t, (frame, shown) in enumerate(frames):
                    writer.write(frame)
                    Image.fromarray(frame).save(folder / Path(images[t]).name)
                    visible[t] = shown
    edges = tuple(
        (names.index(a), names.index(b)) for a, b in CANONICAL_SKELETON if a in names and b in names
    )
    labels = PoseLabels(images, keypoints, tuple(names), edges, root, visible)
    if labels_file is not None:
        write_coco_keypoints(labels_file, labels, image_size=image_size)
    return labels


def make_rendered_dataset(
    n_infants: int,
    frames_per_infant: int,
    *,
    names: Sequence[str] = CANONICAL_KEYPOINTS[:14],
    image_size: tuple[int, int] = (128, 128),
    frame_step: int = 5,
    movement_fraction: float = 0.0,
    random_state: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frames of many different infants (own body, clothes and room each) with exact keypoints.

    Each infant moves for ``frames_per_infant × frame_step`` frames, of which every
    ``frame_step``-th is kept (as a labeller samples frames from videos). The last
    ``round(movement_fraction × n_infants)`` infants move as the movement-risk simulator's do
    (:func:`neurodl.pose.simulate_infant_movements`, 30 % atypical, placed in the frame by
    :func:`neurodl.pose.detection_check.place_in_frame`): longer, straighter limbs than
    :func:`simulate_supine_keypoints`' infants, so a detector trained on both poses tracks both
    (only with the 14 body keypoints).

    Returns
    -------
    frames : uint8 ndarray (n, H, W, 3)
    keypoints : ndarray (n, len(names), 2)
    infant : int ndarray (n,)
        Which infant each frame shows.
    """
    rng = np.random.default_rng(random_state)
    pick = [CANONICAL_KEYPOINTS.index(name) for name in names]
    n_moving = round(movement_fraction * n_infants) if n_infants else 0
    if not 0.0 <= movement_fraction <= 1.0 or (n_moving and max(pick) >= 14):
        raise NeurodlValueError(
            "movement_fraction must lie in [0, 1], and above 0 only with the 14 body keypoints; "
            f"got {movement_fraction!r}."
        )
    all_frames, all_points = [], []
    for _ in range(n_infants - n_moving):
        full = simulate_supine_keypoints(
            frames_per_infant * frame_step, image_size=image_size, random_state=rng
        )[::frame_step]
        frames, _ = render_infant_frames(full, image_size=image_size, random_state=rng)
        all_frames.append(frames)
        all_points.append(full[:, pick])
    for points in _moving_infants(n_moving, frames_per_infant, frame_step, image_size, rng):
        frames, _ = render_infant_frames(
            points, names=CANONICAL_KEYPOINTS[:14], image_size=image_size, random_state=rng
        )
        all_frames.append(frames)
        all_points.append(points[:, pick])
    infant = np.repeat(np.arange(n_infants), frames_per_infant)
    return np.concatenate(all_frames), np.concatenate(all_points), infant


def _moving_infants(
    n: int, n_frames: int, step: int, image_size: tuple[int, int], rng: np.random.Generator
) -> list[np.ndarray]:
    """Body keypoints in pixels (n_frames, 14, 2) of ``n`` movement-simulator infants."""
    if n == 0:
        return []
    from neurodl.pose.detection_check import place_in_frame
    from neurodl.pose.simulate import simulate_infant_movements

    poses = simulate_infant_movements(
        n,
        atypical_fraction=0.3,
        duration=max(3.0, n_frames * step / 30.0 + 0.1),
        fps=30.0,
        nuisance=0.0,
        random_state=rng,
    )
    return [place_in_frame(pose.positions[::step][:n_frames, :14], image_size) for pose in poses]
