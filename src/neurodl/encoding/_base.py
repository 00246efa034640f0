"""What the encoders share: scoring by correlation and the image normalisation."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from neurodl.encoding._validation import check_fit_data


class EncoderBase(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Base of the encoders: ``score`` is the mean per-neuron correlation on held-out images."""

    def predict(self, images: ArrayLike) -> Any:  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def score(self, images: ArrayLike, responses: ArrayLike) -> float:
        """Mean over neurons of the Pearson correlation between predictions and responses.

        Parameters
        ----------
        images : array-like of shape (n_images, height, width)
        responses : array-like of shape (n_images, n_neurons)

        Returns
        -------
        float
            Neurons whose responses or predictions are constant are left out of the mean
            (0.0 when every neuron is).
        """
        from neurodl.metrics import pearson_correlation

        check_is_fitted(self)
        data, target = check_fit_data(images, responses)
        r = pearson_correlation(target, self.predict(data))
        return float(np.nanmean(r)) if np.any(np.isfinite(r)) else 0.0

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
