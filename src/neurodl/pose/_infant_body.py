"""Drawing one supine infant from its keypoints: trunk, tapered limbs, hands, feet and head.

Radii scale with the trunk length (neck to mid-hip) of each frame, so the keypoints are exactly the
joints of the drawn body.
"""

from __future__ import annotations

import numpy as np

from neurodl.pose._appearance import Appearance, make_texture
from neurodl.pose._raster import draw_capsule, draw_disc, draw_polygon

__all__ = ["body_frame", "draw_infant", "head_points"]


def body_frame(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Image-plane axes of the body turned by ``theta``: ``a`` towards the head, ``b`` to its left.

    With ``theta = 0`` the head is at the top of the image and the infant's left on the right.
    """
    theta = np.asarray(theta, dtype=np.float64)
    a = np.stack([np.sin(theta), -np.cos(theta)], axis=-1)
    b = np.stack([np.cos(theta), np.sin(theta)], axis=-1)
    return a, b


def head_points(neck: np.ndarray, tilt: np.ndarray, yaw: np.ndarray) -> dict[str, np.ndarray]:
    """Nose, eyes and ears in body units (trunk length 1) from head tilt and yaw (radians)."""
    ah = np.stack([np.cos(tilt), np.sin(tilt)], axis=1)
    bh = np.stack([-np.sin(tilt), np.cos(tilt)], axis=1)
    s, c = np.sin(yaw)[:, None], np.cos(yaw)[:, None]
    centre = neck + 0.4 * ah
    nose = neck + 0.45 * ah + 0.14 * s * bh
    return {
        "nose": nose,
        "right_eye": nose + 0.08 * ah - 0.11 * c * bh + 0.03 * s * bh,
        "left_eye": nose + 0.08 * ah + 0.11 * c * bh + 0.03 * s * bh,
        "right_ear": centre - 0.3 * c * bh - 0.12 * s * bh,
        "left_ear": centre + 0.3 * c * bh - 0.12 * s * bh,
    }


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.hypot(*v)), 1e-6)


def _face(p: dict[str, np.ndarray], length: float) -> dict[str, np.ndarray]:
    """Eyes and ears from nose and neck when they are not given."""
    ah = _unit(p["nose"] - p["neck"])
    bh = np.array([-ah[1], ah[0]])
    centre = p["neck"] + 0.9 * (p["nose"] - p["neck"])
    out = {
        "right_eye": p["nose"] + length * (0.08 * ah - 0.11 * bh),
        "left_eye": p["nose"] + length * (0.08 * ah + 0.11 * bh),
        "right_ear": centre - 0.3 * length * bh,
        "left_ear": centre + 0.3 * length * bh,
    }
    return {k: p.get(k, v) for k, v in out.items()}


def _limb_color(cover: float, level: float, texture: np.ndarray, skin: np.ndarray):  # type: ignore[no-untyped-def]
    return (None, texture) if cover >= level else (skin, None)


def _draw_legs(canvas, p, look, length, texture) -> None:  # type: ignore[no-untyped-def]
    th = look.thickness * length
    for tag in ("right", "left"):
        hip, knee, ankle = p[f"{tag}_hip"], p[f"{tag}_knee"], p[f"{tag}_ankle"]
        color, tex = _limb_color(look.trousers, 0.5, texture, look.skin)
        draw_capsule(canvas, hip, knee, 0.17 * th, 0.13 * th, color, texture=tex)
        color, tex = _limb_color(look.trousers, 1.0, texture, look.skin)
        draw_capsule(canvas, knee, ankle, 0.13 * th, 0.1 * th, color, texture=tex)
        toe = ankle + 0.17 * length * _unit(ankle - knee)
        foot = look.cloth2 if look.trousers >= 1.0 else look.skin * 0.97
        draw_capsule(canvas, ankle, toe, 0.09 * th, 0.1 * th, foot)


def _draw_arms(canvas, p, look, length, texture) -> None:  # type: ignore[no-untyped-def]
    th = look.thickness * length
    for tag in ("right", "left"):
        shoulder, elbow, wrist = p[f"{tag}_shoulder"], p[f"{tag}_elbow"], p[f"{tag}_wrist"]
        color, tex = _limb_color(look.sleeves, 0.5, texture, look.skin)
        draw_capsule(canvas, shoulder, elbow, 0.12 * th, 0.1 * th, color, texture=tex)
        color, tex = _limb_color(look.sleeves, 1.0, texture, look.skin)
        draw_capsule(canvas, elbow, wrist, 0.1 * th, 0.085 * th, color, texture=tex)
        tip = wrist + 0.14 * length * _unit(wrist - elbow)
        draw_capsule(canvas, wrist, tip, 0.08 * th, 0.1 * th, look.skin * 1.02)


def _draw_trunk(canvas, p, look, length, texture) -> None:  # type: ignore[no-untyped-def]
    hip_mid = (p["left_hip"] + p["right_hip"]) / 2
    b = _unit(p["left_shoulder"] - p["right_shoulder"])
    pad = 0.1 * length * look.thickness * b
    quad = np.stack(
        [
            p["right_shoulder"] - pad,
            p["left_shoulder"] + pad,
            p["left_hip"] + pad,
            p["right_hip"] - pad,
        ]
    )
    draw_polygon(canvas, quad, look.cloth, texture=texture)
    draw_capsule(
        canvas, p["neck"], hip_mid, 0.3 * length, 0.3 * length, look.cloth, texture=texture
    )
    if look.trousers < 0.5:
        draw_capsule(
            canvas,
            hip_mid,
            hip_mid + 0.12 * length * _unit(hip_mid - p["neck"]),
            0.3 * length,
            0.28 * length,
            np.array([0.95, 0.95, 0.92], np.float32),
        )


def _draw_head(canvas, p, look, length) -> None:  # type: ignore[no-untyped-def]
    face = _face(p, length)
    ah = _unit(p["nose"] - p["neck"])
    centre = p["neck"] + 0.9 * (p["nose"] - p["neck"])
    for ear in ("right_ear", "left_ear"):
        draw_disc(canvas, face[ear], 0.08 * length, look.skin * 0.9)
    draw_capsule(canvas, p["neck"], centre, 0.16 * length, 0.2 * length, look.skin * 0.95)
    draw_disc(canvas, centre + 0.08 * length * ah, 0.33 * length, look.hair)
    draw_disc(canvas, centre - 0.02 * length * ah, 0.29 * length, look.skin)
    for eye in ("right_eye", "left_eye"):
        draw_disc(canvas, face[eye], 0.045 * length, np.array([0.08, 0.06, 0.05], np.float32))
    draw_disc(canvas, p["nose"], 0.045 * length, look.skin * 0.85)
    draw_disc(
        canvas,
        p["nose"] - 0.12 * length * ah,
        0.05 * length,
        np.array([0.6, 0.25, 0.25], np.float32),
    )


def draw_infant(
    canvas: np.ndarray,
    points: dict[str, np.ndarray],
    look: Appearance,
    xs: np.ndarray,
    ys: np.ndarray,
) -> None:
    """Paint the infant of one frame (keypoints by name, pixels) onto ``canvas`` in place."""
    hip_mid = (points["left_hip"] + points["right_hip"]) / 2
    length = max(float(np.hypot(*(points["neck"] - hip_mid))), 2.0)
    a = _unit(points["neck"] - hip_mid)
    centre = (points["neck"] + hip_mid) / 2
    u = (xs - centre[0]) * a[0] + (ys - centre[1]) * a[1]
    v = -(xs - centre[0]) * a[1] + (ys - centre[1]) * a[0]
    texture = make_texture(
        look.texture, (look.cloth, look.cloth2), look.texture_period * length / 30, v, u
    )
    _draw_legs(canvas, points, look, length, texture)
    _draw_trunk(canvas, points, look, length, texture)
    _draw_arms(canvas, points, look, length, texture)
    _draw_head(canvas, points, look, length)
