"""Anti-aliased numpy drawing: capsules (tapered limbs), discs, polygons and line overlays.

Coordinates are in pixels with pixel centres at integers: pixel ``[row, col]`` covers
``x ∈ [col - 0.5, col + 0.5]``, ``y ∈ [row - 0.5, row + 0.5]``. Every function paints into a float
canvas of shape (height, width, 3) with values in [0, 1], in place, over the bounding box only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["blend", "draw_capsule", "draw_disc", "draw_polygon", "draw_skeleton"]


def _box(
    canvas: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[slice, slice, np.ndarray, np.ndarray] | None:
    height, width = canvas.shape[:2]
    c0, r0 = np.floor(lo).astype(int)
    c1, r1 = np.ceil(hi).astype(int) + 1
    c0, r0 = max(c0, 0), max(r0, 0)
    c1, r1 = min(c1, width), min(r1, height)
    if c0 >= c1 or r0 >= r1:
        return None
    ys, xs = np.mgrid[r0:r1, c0:c1].astype(np.float32)
    return slice(r0, r1), slice(c0, c1), xs, ys


def blend(
    canvas: np.ndarray, rows: slice, cols: slice, alpha: np.ndarray, color: np.ndarray
) -> None:
    """Mix ``color`` (RGB, or an image patch of the box's shape) in with coverage ``alpha``."""
    patch = canvas[rows, cols]
    a = alpha[..., None]
    patch *= 1.0 - a
    patch += a * color


def draw_capsule(
    canvas: np.ndarray,
    p0: np.ndarray,
    p1: np.ndarray,
    r0: float,
    r1: float,
    color: np.ndarray,
    *,
    texture: np.ndarray | None = None,
) -> None:
    """A segment from ``p0`` to ``p1`` whose radius goes from ``r0`` to ``r1`` (a tapered limb).

    ``texture``, when given, is a full-canvas RGB image used as the colour instead of ``color``.
    """
    p0, p1 = np.asarray(p0, np.float32), np.asarray(p1, np.float32)
    if not (np.all(np.isfinite(p0)) and np.all(np.isfinite(p1))):
        return
    reach = max(r0, r1) + 1.0
    box = _box(canvas, np.minimum(p0, p1) - reach, np.maximum(p0, p1) + reach)
    if box is None:
        return
    rows, cols, xs, ys = box
    d = p1 - p0
    length2 = float(d @ d)
    t = np.zeros_like(xs) if length2 < 1e-9 else ((xs - p0[0]) * d[0] + (ys - p0[1]) * d[1])
    if length2 >= 1e-9:
        t = np.clip(t / length2, 0.0, 1.0)
    dist = np.hypot(xs - (p0[0] + t * d[0]), ys - (p0[1] + t * d[1]))
    alpha = np.clip(r0 + t * (r1 - r0) - dist + 0.5, 0.0, 1.0)
    blend(canvas, rows, cols, alpha, color if texture is None else texture[rows, cols])


def draw_disc(
    canvas: np.ndarray,
    centre: np.ndarray,
    radius: float,
    color: np.ndarray,
    *,
    aspect: float = 1.0,
    texture: np.ndarray | None = None,
) -> None:
    """A filled disc (an axis-aligned ellipse when ``aspect`` ≠ 1: y radius = radius × aspect)."""
    centre = np.asarray(centre, np.float32)
    if not np.all(np.isfinite(centre)):
        return
    reach = np.array([radius, radius * aspect], np.float32) + 1.0
    box = _box(canvas, centre - reach, centre + reach)
    if box is None:
        return
    rows, cols, xs, ys = box
    dist = np.hypot(xs - centre[0], (ys - centre[1]) / aspect)
    alpha = np.clip(radius - dist + 0.5, 0.0, 1.0)
    blend(canvas, rows, cols, alpha, color if texture is None else texture[rows, cols])


def draw_polygon(
    canvas: np.ndarray,
    vertices: np.ndarray,
    color: np.ndarray,
    *,
    texture: np.ndarray | None = None,
) -> None:
    """A filled convex polygon (vertices in order, shape (n, 2)) with a one-pixel soft edge."""
    vertices = np.asarray(vertices, np.float32)
    if not np.all(np.isfinite(vertices)):
        return
    box = _box(canvas, vertices.min(0) - 1.0, vertices.max(0) + 1.0)
    if box is None:
        return
    rows, cols, xs, ys = box
    centre = vertices.mean(0)
    inside = np.full(xs.shape, np.inf, np.float32)
    for a, b in zip(vertices, np.roll(vertices, -1, axis=0), strict=True):
        edge = b - a
        normal = np.array([edge[1], -edge[0]], np.float32)
        norm = float(np.hypot(*normal))
        if norm < 1e-9:
            continue
        normal /= norm
        if normal @ (centre - a) < 0:
            normal = -normal
        inside = np.minimum(inside, (xs - a[0]) * normal[0] + (ys - a[1]) * normal[1])
    alpha = np.clip(inside + 0.5, 0.0, 1.0)
    blend(canvas, rows, cols, alpha, color if texture is None else texture[rows, cols])


def draw_skeleton(
    frame: np.ndarray,
    keypoints: np.ndarray,
    edges: list[tuple[int, int]] | tuple[tuple[int, int], ...],
    *,
    visible: np.ndarray | None = None,
    radius: float = 2.0,
) -> np.ndarray:
    """A copy of an RGB uint8 ``frame`` with ``edges`` drawn as lines and keypoints as dots.

    Keypoints that are NaN or not ``visible`` are left out; left-side limbs are drawn in one
    colour family and right-side limbs in another by their index order (a colour per keypoint).
    """
    canvas = np.asarray(frame, np.float32) / 255.0
    n = len(keypoints)
    show = np.all(np.isfinite(keypoints), axis=1)
    if visible is not None:
        show &= np.asarray(visible, bool)
    colors = _palette(n)
    width = max(radius * 0.4, 0.6)
    for i, j in edges:
        if show[i] and show[j]:
            draw_capsule(canvas, keypoints[i], keypoints[j], width, width, colors[j])
    for k in range(n):
        if show[k]:
            draw_disc(canvas, keypoints[k], radius + 0.8, np.zeros(3, np.float32))
            draw_disc(canvas, keypoints[k], radius, colors[k])
    return np.clip(canvas * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _palette(n: int) -> np.ndarray:
    """``n`` distinct bright colours around the hue circle."""
    hue = np.arange(n) / max(n, 1)
    channels = [np.clip(np.abs(((hue * 6 + s) % 6) - 3) - 1, 0, 1) for s in (0.0, 4.0, 2.0)]
    return (0.25 + 0.75 * np.stack(channels, axis=1)).astype(np.float32)
