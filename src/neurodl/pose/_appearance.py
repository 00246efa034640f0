"""How a rendered infant looks: skin, clothes, textures, backgrounds, lighting, blur and occluders.

Everything is drawn from one random generator, so one seed gives one infant in one room.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

__all__ = ["Appearance", "make_background", "make_texture", "sample_appearance"]

_SKIN = np.array(
    [
        [0.98, 0.84, 0.74],
        [0.93, 0.74, 0.60],
        [0.80, 0.58, 0.44],
        [0.62, 0.42, 0.30],
        [0.45, 0.30, 0.22],
        [0.33, 0.22, 0.16],
    ],
    np.float32,
)
TEXTURES = ("plain", "stripes", "dots", "checks", "noise")
BACKGROUNDS = ("plain", "smooth", "checks", "stripes", "blanket")


@dataclass
class Appearance:
    """One infant's looks and one room; see :func:`sample_appearance`."""

    skin: np.ndarray
    hair: np.ndarray
    cloth: np.ndarray
    cloth2: np.ndarray
    texture: str
    texture_period: float
    sleeves: float  # 0 bare arms, 0.5 short sleeves, 1 long sleeves
    trousers: float  # 0 bare legs (a nappy), 0.5 shorts, 1 long trousers
    thickness: float  # limb radius scale
    background: str
    bg_colors: np.ndarray
    bg_period: float
    light_angle: float
    light_strength: float
    brightness: float
    contrast: float
    blur: float
    noise: float
    occluder_rate: float
    seed: int


def _color(rng: np.random.Generator) -> np.ndarray:
    hue = rng.uniform(0, 1)
    sat, val = rng.uniform(0.15, 0.9), rng.uniform(0.3, 1.0)
    rgb = np.clip(np.abs(((hue * 6 + np.array([0.0, 4.0, 2.0])) % 6) - 3) - 1, 0, 1)
    return (val * (1 - sat + sat * rgb)).astype(np.float32)


def sample_appearance(rng: np.random.Generator) -> Appearance:
    """Draw skin tone, clothes, texture, background, lighting, blur, noise and occluders."""
    w = rng.uniform(0, 1, len(_SKIN)) ** 4
    skin = (w @ _SKIN) / w.sum() * rng.uniform(0.9, 1.05)
    return Appearance(
        skin=np.clip(skin, 0, 1).astype(np.float32),
        hair=(rng.uniform(0.05, 0.6) * np.array([1.0, 0.8, 0.6])).astype(np.float32),
        cloth=_color(rng),
        cloth2=_color(rng),
        texture=str(rng.choice(TEXTURES)),
        texture_period=float(rng.uniform(3, 12)),
        sleeves=float(rng.choice([0.0, 0.5, 1.0])),
        trousers=float(rng.choice([0.0, 0.5, 1.0])),
        thickness=float(rng.uniform(0.8, 1.25)),
        background=str(rng.choice(BACKGROUNDS)),
        bg_colors=np.stack([_color(rng), _color(rng)]),
        bg_period=float(rng.uniform(6, 30)),
        light_angle=float(rng.uniform(0, 2 * np.pi)),
        light_strength=float(rng.uniform(0.0, 0.5)),
        brightness=float(rng.uniform(0.7, 1.2)),
        contrast=float(rng.uniform(0.7, 1.2)),
        blur=float(rng.uniform(0.0, 1.2)),
        noise=float(rng.uniform(0.0, 0.05)),
        occluder_rate=float(rng.choice([0.0, 0.0, 0.5, 1.0])),
        seed=int(rng.integers(2**31 - 1)),
    )


def make_texture(
    kind: str, colors: tuple[np.ndarray, np.ndarray], period: float, xs: np.ndarray, ys: np.ndarray
) -> np.ndarray:
    """An RGB pattern of ``kind`` over coordinates ``xs``, ``ys`` (body-attached or fixed)."""
    a, b = colors
    phase = 2 * np.pi / period
    if kind == "stripes":
        mix = (np.sin(xs * phase) > 0).astype(np.float32)
    elif kind == "dots":
        mix = ((np.sin(xs * phase) * np.sin(ys * phase)) > 0.6).astype(np.float32)
    elif kind == "checks":
        mix = ((np.sin(xs * phase) * np.sin(ys * phase)) > 0).astype(np.float32)
    elif kind == "noise":
        mix = 0.5 + 0.5 * np.sin(xs * phase * 0.7 + 2 * np.sin(ys * phase * 0.5))
    else:
        mix = np.zeros_like(xs)
    return (a * (1 - mix[..., None]) + b * mix[..., None]).astype(np.float32)


def make_background(look: Appearance, height: int, width: int) -> np.ndarray:
    """The room behind the infant (a mattress, blanket or floor), shape (height, width, 3)."""
    rng = np.random.default_rng(look.seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    u = xs * np.cos(angle) + ys * np.sin(angle)
    v = -xs * np.sin(angle) + ys * np.cos(angle)
    colors = (look.bg_colors[0], look.bg_colors[1])
    if look.background in ("checks", "stripes"):
        image = make_texture(look.background, colors, look.bg_period, u, v)
    elif look.background in ("smooth", "blanket"):
        field = ndimage.gaussian_filter(rng.normal(size=(height, width)), look.bg_period / 3)
        field = (field - field.min()) / (np.ptp(field) + 1e-9)
        if look.background == "blanket":
            field = 0.6 * field + 0.4 * (np.sin(u * 2 * np.pi / look.bg_period) > 0)
        image = colors[0] * (1 - field[..., None]) + colors[1] * field[..., None]
    else:
        image = np.broadcast_to(colors[0], (height, width, 3)).copy()
    image = image + rng.normal(0, 0.02, size=image.shape)
    return np.clip(image, 0, 1).astype(np.float32)


def finish_frame(
    canvas: np.ndarray, look: Appearance, rng: np.random.Generator, flicker: float
) -> np.ndarray:
    """Lighting gradient, brightness and contrast, blur and sensor noise; RGB uint8 out."""
    height, width = canvas.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = (xs / width - 0.5) * np.cos(look.light_angle) + (ys / height - 0.5) * np.sin(
        look.light_angle
    )
    image = canvas * (1 + look.light_strength * ramp)[..., None] * look.brightness * flicker
    image = (image - 0.5) * look.contrast + 0.5
    if look.blur > 0.3:
        image = ndimage.gaussian_filter(image, sigma=(look.blur, look.blur, 0))
    image = image + rng.normal(0, look.noise, size=image.shape)
    return np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8)
