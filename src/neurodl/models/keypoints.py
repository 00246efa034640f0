"""A small heatmap network for keypoints, Gaussian heatmap targets and sub-pixel peak decoding.

The network is a small U-Net that works at the heatmap's resolution (``output_stride`` 2 or 4,
reached by space-to-depth) and below, with additive skip connections; a 1×1 head gives one heatmap
per keypoint. Heatmap cell ``(i, j)`` is centred on input pixel ``(s·j + (s-1)/2, s·i + (s-1)/2)``
(``s`` the output stride; pixel centres at integers), and targets and decoding both use that map.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["KeypointHeatmapNet", "decode_heatmaps", "gaussian_heatmaps", "heatmap_loss"]


def _conv(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class KeypointHeatmapNet(nn.Module):
    """U-Net from RGB images in [0, 1] to one heatmap per keypoint.

    The image is first folded into channels (space-to-depth by ``output_stride``: each
    ``s × s`` block of pixels becomes ``3 s²`` channels, so no detail is thrown away and the costly
    layers run at the heatmap's resolution). Stride-2 stages (two 3×3 convolutions each) then go
    down for context, and the decoder climbs back, adding the encoder's features at each level
    (1×1 projections, as in a feature pyramid) and smoothing them with a 3×3 convolution.

    Parameters
    ----------
    n_keypoints : int
    widths : tuple of ints
        Channels per level, from the heatmap resolution down (each next level halves the size).
    output_stride : {2, 4}
        Heatmaps are the input size divided by this.

    Input: float tensor (N, 3, H, W) with H and W multiples of ``output_stride × 2^(levels-1)``.
    Output: (N, K, H/s, W/s).
    """

    def __init__(
        self,
        n_keypoints: int,
        *,
        widths: tuple[int, ...] = (32, 64, 96),
        output_stride: int = 4,
    ) -> None:
        super().__init__()
        if output_stride not in (2, 4):
            raise ValueError(f"output_stride must be 2 or 4; got {output_stride!r}.")
        self.output_stride = output_stride
        ins = (3 * output_stride**2, *widths[:-1])
        self.down = nn.ModuleList(
            [
                nn.Sequential(_conv(c_in, c, 1 if i == 0 else 2), _conv(c, c))
                for i, (c_in, c) in enumerate(zip(ins, widths, strict=True))
            ]
        )
        n = len(widths)
        self.reduce = nn.ModuleList(
            [nn.Conv2d(widths[i + 1], widths[i], 1) for i in reversed(range(n - 1))]
        )
        self.smooth = nn.ModuleList([_conv(widths[i], widths[i]) for i in reversed(range(n - 1))])
        self.head = nn.Conv2d(widths[0], n_keypoints, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = F.pixel_unshuffle((images - 0.5) / 0.25, self.output_stride)
        skips = []
        for stage in self.down:
            x = stage(x)
            skips.append(x)
        for reduce, smooth, skip in zip(
            self.reduce, self.smooth, reversed(skips[:-1]), strict=True
        ):
            x = F.interpolate(reduce(x), size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = smooth(x + skip)
        return self.head(x)


def gaussian_heatmaps(
    keypoints: torch.Tensor, height: int, width: int, stride: int, sigma: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gaussian targets (N, K, height, width) peaking at 1, and a (N, K) mask of labelled points.

    ``keypoints`` (N, K, 2) are input pixels; ``sigma`` is in heatmap cells. NaN → empty map.
    """
    known = torch.isfinite(keypoints).all(dim=-1)
    centre = (torch.nan_to_num(keypoints, nan=-1e4) - (stride - 1) / 2) / stride
    xs = torch.arange(width, dtype=keypoints.dtype, device=keypoints.device)
    ys = torch.arange(height, dtype=keypoints.dtype, device=keypoints.device)
    gx = torch.exp(-((xs - centre[..., :1]) ** 2) / (2 * sigma**2))
    gy = torch.exp(-((ys - centre[..., 1:]) ** 2) / (2 * sigma**2))
    maps = gy[..., :, None] * gx[..., None, :]
    return maps * known[..., None, None], known


def heatmap_loss(logits: torch.Tensor, target: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """Cross-entropy between each map's spatial softmax and its normalised Gaussian target.

    Each heatmap is read as a probability distribution over the keypoint's position (a softmax
    over all cells); unlabelled keypoints (``known`` False) do not count. This trains much faster
    from scratch than a squared error on the maps, which first collapses to all-zero maps.
    """
    log_p = torch.log_softmax(logits.flatten(-2), dim=-1)
    t = target.flatten(-2)
    t = t / t.sum(dim=-1, keepdim=True).clamp(min=1e-12)
    per_map = -(t * log_p).sum(dim=-1) * known
    return per_map.sum() / known.sum().clamp(min=1)


def decode_heatmaps(
    logits: torch.Tensor, stride: int, window: int = 2
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sub-pixel peaks: the most likely cell, refined by the mean position over its neighbourhood.

    The maps are turned into probabilities by a spatial softmax; the position is the
    probability-weighted mean over the (2·window+1)² cells around the most likely one.

    Returns keypoints (N, K, 2) in input pixels and a confidence (N, K): the probability mass in
    that neighbourhood, in [0, 1] (low when the map has no clear single peak).
    """
    n, k, height, width = logits.shape
    flat = torch.softmax(logits.reshape(n, k, -1).float(), dim=-1)
    index = flat.argmax(dim=-1)
    row, col = (index // width).float(), (index % width).float()
    offsets = torch.arange(-window, window + 1, device=logits.device, dtype=flat.dtype)
    rows, cols = row[..., None] + offsets, col[..., None] + offsets
    inside = ((rows >= 0) & (rows < height))[..., :, None] & ((cols >= 0) & (cols < width))[
        ..., None, :
    ]
    flat_index = (
        rows.clamp(0, height - 1)[..., :, None] * width + cols.clamp(0, width - 1)[..., None, :]
    )
    values = torch.gather(flat, 2, flat_index.long().reshape(n, k, -1)) * inside.reshape(n, k, -1)
    mass = values.sum(dim=-1)
    weights = values / mass[..., None].clamp(min=1e-12)
    y = (weights * rows[..., :, None].expand(-1, -1, -1, cols.shape[-1]).reshape(n, k, -1)).sum(-1)
    x = (weights * cols[..., None, :].expand(-1, -1, rows.shape[-1], -1).reshape(n, k, -1)).sum(-1)
    points = torch.stack([x, y], dim=-1) * stride + (stride - 1) / 2
    return points, mass.clamp(0.0, 1.0)
