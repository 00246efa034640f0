"""Batch augmentation for keypoint training, in torch: geometry moves images and keypoints together.

Random numbers come from torch's global generator, which the training loop seeds inside
``torch.random.fork_rng``; the same seed gives the same augmented batches.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

__all__ = ["augment_batch"]


def _affine(
    n: int, height: int, width: int, flip: torch.Tensor, rotation: float, scale: float, shift: float
) -> torch.Tensor:
    """Forward pixel transforms (n, 3, 3): flip, rotate and scale about the centre, then shift."""
    angle = (torch.rand(n) * 2 - 1) * math.radians(rotation)
    s = torch.exp((torch.rand(n) * 2 - 1) * math.log(1 + scale))
    t = (torch.rand(n, 2) * 2 - 1) * shift * torch.tensor([width, height])
    cx, cy = (width - 1) / 2, (height - 1) / 2
    m = torch.zeros(n, 3, 3)
    m[:, 2, 2] = 1
    cos, sin = torch.cos(angle) * s, torch.sin(angle) * s
    fx = torch.where(flip, -1.0, 1.0)
    m[:, 0, 0], m[:, 0, 1] = cos * fx, -sin
    m[:, 1, 0], m[:, 1, 1] = sin * fx, cos
    # p' = R S F (p - c) + c + t, with F the horizontal flip about the centre.
    m[:, 0, 2] = cx + t[:, 0] - (m[:, 0, 0] * cx + m[:, 0, 1] * cy)
    m[:, 1, 2] = cy + t[:, 1] - (m[:, 1, 0] * cx + m[:, 1, 1] * cy)
    return m


def _warp(images: torch.Tensor, forward: torch.Tensor) -> torch.Tensor:
    """Resample images so that input pixel p lands at ``forward @ p`` (align_corners=False)."""
    height, width = images.shape[-2:]
    to_norm = torch.tensor(
        [[2 / width, 0, 1 / width - 1], [0, 2 / height, 1 / height - 1], [0, 0, 1]]
    )
    theta = to_norm @ torch.linalg.inv(forward) @ torch.linalg.inv(to_norm)
    grid = F.affine_grid(theta[:, :2].to(images), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)


def _recolour(images: torch.Tensor, probability: float) -> torch.Tensor:
    """Shuffle the colour channels of images with ``probability``; turn them grey with half that.

    Clothes, blankets and skin come in any colour, so colour alone must not tell limbs from
    background: with colours shuffled the network has to use shape and edges.
    """
    n = images.shape[0]
    order = torch.argsort(torch.rand(n, 3), dim=1)
    order = torch.where((torch.rand(n) < probability)[:, None], order, torch.arange(3))
    images = torch.gather(images, 1, order[:, :, None, None].expand_as(images).to(images.device))
    grey = images.mean(dim=1, keepdim=True).expand_as(images)
    return torch.where(
        (torch.rand(n) < probability / 2).view(-1, 1, 1, 1).to(images.device), grey, images
    )


def _photometric(images: torch.Tensor) -> torch.Tensor:
    n = images.shape[0]
    gain = 1 + (torch.rand(n, 3, 1, 1) * 2 - 1) * 0.1
    contrast = 0.65 + torch.rand(n, 1, 1, 1) * 0.7
    brightness = (torch.rand(n, 1, 1, 1) * 2 - 1) * 0.2
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    images = (images - mean) * contrast + mean + brightness
    images = images * gain.to(images)
    if torch.rand(()) < 0.4:
        sigma = 0.5 + float(torch.rand(())) * 1.0
        x = torch.arange(-2, 3, dtype=images.dtype)
        k = torch.exp(-(x**2) / (2 * sigma**2))
        k = k / k.sum()
        kernel = (k[:, None] * k[None, :]).expand(3, 1, 5, 5).to(images)
        images = F.conv2d(F.pad(images, (2, 2, 2, 2), mode="replicate"), kernel, groups=3)
    noise = torch.rand(n, 1, 1, 1) * 0.04
    return (images + noise.to(images) * torch.randn_like(images)).clamp(0, 1)


def _cutout(images: torch.Tensor, probability: float) -> torch.Tensor:
    n, _, height, width = images.shape
    ys = torch.arange(height).view(1, -1, 1)
    xs = torch.arange(width).view(1, 1, -1)
    size = (0.1 + torch.rand(n, 2) * 0.2) * torch.tensor([width, height])
    lo = torch.rand(n, 2) * (torch.tensor([width, height]) - size)
    inside = (
        (xs >= lo[:, :1, None])
        & (xs < (lo + size)[:, :1, None])
        & (ys >= lo[:, 1:, None])
        & (ys < (lo + size)[:, 1:, None])
    )
    inside &= (torch.rand(n) < probability).view(-1, 1, 1)
    color = torch.rand(n, 3, 1, 1).to(images)
    return torch.where(inside[:, None].to(images.device), color, images)


def augment_batch(
    images: torch.Tensor,
    keypoints: torch.Tensor,
    flip_permutation: list[int] | None,
    *,
    rotation: float = 25.0,
    scale: float = 0.15,
    shift: float = 0.08,
    occlusion: float = 0.3,
    recolour: float = 0.3,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Randomly rotate, scale, shift, flip, recolour, blur, add noise and cut out a rectangle.

    Parameters
    ----------
    images : float tensor (N, 3, H, W) in [0, 1]
    keypoints : tensor (N, K, 2), pixels (NaN for unlabelled)
    flip_permutation : list of int or None
        Half the images are mirrored left–right, and keypoint k then takes the place of keypoint
        ``flip_permutation[k]`` (left ↔ right); None disables flips.
    rotation : float
        Largest rotation, degrees. ``scale``: largest relative zoom. ``shift``: largest shift as a
        fraction of the image side. ``occlusion``: probability of a cut-out rectangle.
        ``recolour``: probability that an image's colour channels are shuffled (half that: that
        it turns grey).

    Returns
    -------
    images, keypoints
        Keypoints pushed outside the image become NaN (they cannot be located).
    """
    n, _, height, width = images.shape
    flip = torch.rand(n) < 0.5 if flip_permutation is not None else torch.zeros(n, dtype=torch.bool)
    forward = _affine(n, height, width, flip, rotation, scale, shift)
    images = _warp(images, forward.to(images.device))
    ones = torch.ones(*keypoints.shape[:2], 1, dtype=keypoints.dtype, device=keypoints.device)
    moved = (torch.cat([keypoints, ones], -1) @ forward.to(keypoints).transpose(1, 2))[..., :2]
    if flip_permutation is not None:
        swapped = moved[:, flip_permutation]
        moved = torch.where(flip.to(moved.device)[:, None, None], swapped, moved)
    outside = (moved[..., 0] < -0.5) | (moved[..., 0] > width - 0.5)
    outside |= (moved[..., 1] < -0.5) | (moved[..., 1] > height - 0.5)
    moved = moved.masked_fill(outside[..., None], float("nan"))
    images = _photometric(_recolour(images, recolour) if recolour > 0 else images)
    return _cutout(images, occlusion), moved
