"""The curriculum's encoding model: fixed filter-bank convolution and a ridge readout per neuron."""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.utils.validation import check_is_fitted

from neurodl._linalg import centred_gram, gram_eigh
from neurodl.encoding._base import EncoderBase
from neurodl.encoding._validation import (
    check_choice,
    check_fit_data,
    check_image_size,
    check_images,
    check_positive,
)
from neurodl.encoding.filters import compute_filter_features
from neurodl.exceptions import NeurodlValueError
from neurodl.stimuli import make_filter_bank

__all__ = ["LinearEncoder", "fit_ridge_loo"]

logger = logging.getLogger(__name__)

_NEURON_CHUNK = 2048


def _thin_svd(
    x: NDArray[np.float32],
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """Thin SVD of ``x`` without its null directions, from the smaller Gram matrix.

    An eigendecomposition of ``x x^T`` or ``x^T x`` (float64, :func:`neurodl._linalg.gram_eigh`)
    is one matrix product and a small symmetric solve: much cheaper than a LAPACK SVD of the
    wide matrix. Directions with singular values below ``max(n, p) * eps32 * s_max`` are dropped.
    """
    x64 = x.astype(np.float64)
    wide = x.shape[0] <= x.shape[1]
    eigenvalues, vectors = gram_eigh(centred_gram(x64, np.zeros(x.shape[1])))
    s = np.sqrt(np.clip(eigenvalues, 0.0, None))[::-1]
    vectors = vectors[:, ::-1]
    keep = s > s.max(initial=0.0) * max(x.shape) * np.finfo(np.float32).eps
    s, vectors = s[keep], vectors[:, keep]
    other = (x64.T @ vectors if wide else x64 @ vectors) / s
    u, v = (vectors, other) if wide else (other, vectors)
    return u.astype(np.float32), s.astype(np.float32), np.ascontiguousarray(v.T, np.float32)


def fit_ridge_loo(
    features: NDArray[np.floating],
    targets: NDArray[np.floating],
    alphas: NDArray[np.floating],
    *,
    intercept: bool = True,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Ridge regression with a leave-one-out choice of the penalty for every target column.

    One SVD of the (centred) features gives the exact leave-one-out residuals of every penalty
    at once: ``e_i = (y_i - yhat_i) / (1 - h_ii)``, with ``h_ii`` the diagonal of the hat matrix.

    Parameters
    ----------
    features : ndarray of shape (n_samples, n_features), centred
    targets : ndarray of shape (n_samples, n_targets), centred
    alphas : ndarray of shape (n_alphas,)
        Candidate penalties (> 0).
    intercept : bool
        Whether features and targets were centred for an unpenalised intercept (the hat matrix
        then gains 1/n on its diagonal, ``h = h_ridge + 1/n``).

    Returns
    -------
    coef : ndarray of shape (n_features, n_targets)
    alpha : ndarray of shape (n_targets,)
        The penalty chosen for each target.
    loo_mse : ndarray of shape (n_alphas, n_targets)
        Leave-one-out mean squared error of each penalty.
    """
    # Residuals are formed from the penalty's share a / (s² + a) rather than as y - yhat, and
    # 1 - h_ii from the same share, so that neither cancels when n_samples <= n_features
    # (where yhat -> y and h_ii -> 1 as the penalty vanishes).
    u, s, vt = _thin_svd(np.asarray(features, dtype=np.float32))
    s2 = s.astype(np.float64) ** 2
    u64 = u.astype(np.float64) ** 2
    # leverage outside the features' span; the unpenalised intercept (centring) takes 1/n of it,
    # else a centred sample is the negative sum of the others and leave-one-out leaks it back
    n_samples = u.shape[0]
    centring = 1.0 / n_samples if intercept else 0.0
    outside_leverage = np.clip(1.0 - u64.sum(axis=1) - centring, 0.0, None)
    n_targets = targets.shape[1]
    coef = np.empty((vt.shape[1], n_targets))
    alpha = np.empty(n_targets)
    loo = np.empty((alphas.size, n_targets))
    for start in range(0, n_targets, _NEURON_CHUNK):
        y = np.asarray(targets[:, start : start + _NEURON_CHUNK], dtype=np.float32)
        stop = start + y.shape[1]
        projected = u.T @ y  # (k, t)
        outside = y - u @ projected  # the part of y no penalty can fit
        for index, a in enumerate(alphas):
            share = a / (s2 + a)  # 1 - shrinkage of each component
            residual = u @ (share[:, None].astype(np.float32) * projected) + outside
            complement = u64 @ share + outside_leverage  # 1 - h_ii
            loo[index, start:stop] = np.mean((residual / complement[:, None]) ** 2, axis=0)
        best = np.argmin(loo[:, start:stop], axis=0)
        alpha[start:stop] = alphas[best]
        gains = s[:, None] / (s2[:, None] + alphas[best][None, :])  # (k, t)
        coef[:, start:stop] = vt.T @ (gains.astype(np.float32) * projected)
    return coef, alpha, loo


class LinearEncoder(EncoderBase):
    """Fixed filter-bank convolution, rectification and pooling, then ridge regression per neuron.

    The curriculum's encoding model: images are convolved with centre-surround and Gabor
    filters (:func:`neurodl.stimuli.make_filter_bank`), split into on/off half-waves,
    average-pooled, and every neuron is a ridge regression on those features whose penalty is
    chosen by exact leave-one-out cross-validation (closed form, one SVD).

    Parameters
    ----------
    kernel_size : int
        Side of the filters in pixels.
    n_orientations : int
        Gabor orientations in the bank.
    pool : int
        Average-pooling window (pixels) of the filter outputs.
    rectify : bool
        Use on and off half-waves of each filter output.
    alphas : sequence of float or None
        Candidate ridge penalties, relative to the mean squared singular value of the features;
        ``None`` uses 13 values from 1e-4 to 1e2.
    output : {"auto", "relu", "identity"}
        What the regression's predictions pass through. "relu" sets negative predictions to 0
        (responses that cannot be negative: counts, deconvolved events); "identity" keeps them
        (dF/F, z-scored responses). "auto" (default) is "relu" when every training response is
        >= 0 and "identity" otherwise; the choice is stored in ``output_``.

    Attributes
    ----------
    filters_ : ndarray of shape (n_filters, kernel_size, kernel_size)
    coef_ : ndarray of shape (n_features, n_neurons)
    intercept_ : ndarray of shape (n_neurons,)
    alpha_ : ndarray of shape (n_neurons,)
        Chosen penalty of each neuron (absolute scale).
    output_ : {"relu", "identity"}
    image_size_ : (height, width)
    n_neurons_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> images = rng.standard_normal((60, 16, 16)).astype("float32")
    >>> responses = images[:, 8, 8:10].astype("float32")
    >>> LinearEncoder(pool=2).fit(images, responses).predict(images).shape
    (60, 2)
    """

    def __init__(
        self,
        *,
        kernel_size: int = 9,
        n_orientations: int = 4,
        pool: int = 4,
        rectify: bool = True,
        alphas: ArrayLike | None = None,
        output: str = "auto",
    ) -> None:
        self.kernel_size = kernel_size
        self.n_orientations = n_orientations
        self.pool = pool
        self.rectify = rectify
        self.alphas = alphas
        self.output = output

    def _features(self, images: NDArray[np.float32]) -> NDArray[np.float32]:
        scaled = (images - self.image_mean_) / self.image_std_
        return compute_filter_features(scaled, self.filters_, pool=self.pool, rectify=self.rectify)

    def fit(self, images: ArrayLike, responses: ArrayLike) -> LinearEncoder:
        """Fit the ridge readout of every neuron.

        Parameters
        ----------
        images : array-like of shape (n_images, height, width)
        responses : array-like of shape (n_images, n_neurons) or (n_images,)

        Returns
        -------
        self
        """
        check_positive("kernel_size", self.kernel_size, integer=True)
        check_positive("n_orientations", self.n_orientations, integer=True)
        check_positive("pool", self.pool, integer=True)
        check_choice("output", self.output, ("auto", "relu", "identity"))
        if self.kernel_size < 3:
            raise NeurodlValueError(f"kernel_size must be >= 3; got {self.kernel_size!r}.")
        relative = np.logspace(-4, 2, 13) if self.alphas is None else np.asarray(self.alphas, float)
        if relative.ndim != 1 or relative.size == 0 or not np.all(relative > 0):
            raise NeurodlValueError(
                f"alphas must be a 1-D sequence of numbers > 0; got {self.alphas!r}."
            )
        data, target = check_fit_data(images, responses)
        lowest = float(target.min())
        if self.output == "relu" and lowest < 0:
            raise NeurodlValueError(
                f"responses: output='relu' cannot predict negative responses; the lowest is "
                f"{lowest:.4g} (use output='auto' or output='identity')."
            )
        if data.shape[0] < 3:
            raise NeurodlValueError(
                f"images: LinearEncoder needs at least 3 images to cross-validate; got "
                f"{data.shape[0]}."
            )
        self.image_size_ = (int(data.shape[1]), int(data.shape[2]))
        self.n_neurons_ = int(target.shape[1])
        self.output_ = (
            self.output if self.output != "auto" else ("relu" if lowest >= 0 else "identity")
        )
        self.image_mean_ = float(data.mean())
        self.image_std_ = float(data.std()) or 1.0
        self.filters_ = make_filter_bank(self.kernel_size, n_orientations=self.n_orientations)
        features = self._features(data).astype(np.float64)  # centred in float64, then float32
        self.feature_mean_ = features.mean(0)
        features -= self.feature_mean_
        target_mean = target.mean(0, dtype=np.float64)
        scale = float(np.sum(features**2)) / min(features.shape)  # mean squared singular value
        coef, alpha, loo = fit_ridge_loo(features, target - target_mean, relative * scale)
        self.coef_ = coef.astype(np.float32)
        self.alpha_ = alpha
        self.loo_mse_ = loo
        self.intercept_ = (target_mean - self.feature_mean_ @ coef).astype(np.float32)
        self.n_features_ = int(features.shape[1])
        logger.debug(
            "LinearEncoder: %d features, median alpha %.3g", features.shape[1], np.median(alpha)
        )
        return self

    def predict(self, images: ArrayLike) -> NDArray[np.float32]:
        """Predicted response of every neuron to each image.

        Parameters
        ----------
        images : array-like of shape (n_images, height, width)

        Returns
        -------
        ndarray of shape (n_images, n_neurons)
        """
        check_is_fitted(self)
        data = check_images(images)
        check_image_size(data, self.image_size_)
        prediction = (self._features(data) @ self.coef_ + self.intercept_).astype(np.float32)
        return np.maximum(prediction, 0.0) if self.output_ == "relu" else prediction
