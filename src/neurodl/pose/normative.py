"""Normative movement models: how surprising an infant's features are under reference infants.

Both models follow the scikit-learn estimator contract: ``fit(X, age=None)`` on the reference
(typically developing) infants, ``score_samples(X, age=None)`` returns the *surprise* per infant
(higher = more atypical; note that scikit-learn's outlier detectors use the opposite sign) and
``feature_contributions(X, age=None)`` splits it over features.

- :class:`GaussianSurprise` is Chambers et al. (2020)'s model: one Gaussian per feature and age
  group (≤ ``age_split`` and > ``age_split`` weeks), surprise = the summed negative log-likelihood
  (what the paper calls "Bayesian surprise" is this surprisal, not a KL divergence).
- :class:`ShrinkageSurprise` accounts for correlated features: age as a linear covariate, features
  standardised, a Ledoit–Wolf shrinkage covariance; surprise = half the squared Mahalanobis
  distance (the negative log-likelihood up to a constant); contributions ``0.5 z_j (P z)_j`` sum to
  it (they can be negative: a feature that moves with another one explains it away).

:func:`score_against_reference` scores reference infants leave-one-out (never against a model that
contains them) and turns surprise into a z against the reference and a one-sided p-value, the
fraction of reference infants at least as surprising: ``(1 + #{ref >= s}) / (n_ref + 1)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from joblib import Parallel, delayed
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, clone
from sklearn.covariance import LedoitWolf
from sklearn.utils.validation import check_array, check_is_fitted

from neurodl.exceptions import DataValueError, NeurodlValueError, check_option

__all__ = [
    "NORMATIVE_MODELS",
    "GaussianSurprise",
    "ShrinkageSurprise",
    "make_normative_model",
    "one_sided_p_values",
    "score_against_reference",
]


def _ages(age: ArrayLike | None, n: int) -> NDArray[np.float64] | None:
    if age is None:
        return None
    a = np.asarray(age, dtype=np.float64).reshape(-1)
    if a.shape[0] != n:
        raise DataValueError(f"age has {a.shape[0]} values for {n} infants.")
    if not np.isfinite(a).all():
        return None
    return a


class _Normative(BaseEstimator):  # type: ignore[misc]
    def _check_X(self, X: ArrayLike, *, reset: bool) -> NDArray[np.float64]:
        arr = np.asarray(check_array(X, dtype=np.float64, ensure_min_samples=2 if reset else 1))
        if reset:
            self.n_features_in_ = arr.shape[1]
        elif arr.shape[1] != self.n_features_in_:
            raise NeurodlValueError(
                f"X has {arr.shape[1]} features, but {type(self).__name__} was fitted with "
                f"{self.n_features_in_} features."
            )
        return arr

    def feature_contributions(
        self, X: ArrayLike, age: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        raise NotImplementedError  # pragma: no cover - defined by subclasses

    def score_samples(self, X: ArrayLike, age: ArrayLike | None = None) -> NDArray[np.float64]:
        """Surprise per infant (higher = more atypical), shape (n_infants,)."""
        return np.asarray(self.feature_contributions(X, age).sum(axis=1))


class GaussianSurprise(_Normative):
    """Independent Gaussians per feature and age group (the paper's baseline).

    Parameters
    ----------
    age_split : float or None
        Age in weeks that splits the reference into two groups (≤ and >); None for one group. A
        group with fewer than ``min_group`` infants uses the pooled fit.
    min_group : int
        Smallest group fitted on its own.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> model = GaussianSurprise(age_split=None).fit(rng.normal(size=(50, 3)))
    >>> bool(model.score_samples([[5.0, 5.0, 5.0]])[0] > model.score_samples([[0.0, 0.0, 0.0]])[0])
    True
    """

    def __init__(self, *, age_split: float | None = 10.0, min_group: int = 5) -> None:
        self.age_split = age_split
        self.min_group = min_group

    def fit(self, X: ArrayLike, y: Any = None, age: ArrayLike | None = None) -> GaussianSurprise:
        """Fit the per-feature means and SDs (maximum likelihood) on reference infants."""
        X = self._check_X(X, reset=True)
        a = _ages(age, X.shape[0])
        pooled = (X.mean(axis=0), np.maximum(X.std(axis=0), 1e-9))
        self.mean_: dict[bool | None, NDArray[np.float64]] = {None: pooled[0]}
        self.std_: dict[bool | None, NDArray[np.float64]] = {None: pooled[1]}
        if self.age_split is not None and a is not None:
            for group, mask in ((False, a <= self.age_split), (True, a > self.age_split)):
                rows = X[mask] if mask.sum() >= self.min_group else X
                self.mean_[group] = rows.mean(axis=0)
                self.std_[group] = np.maximum(rows.std(axis=0), 1e-9)
        return self

    def feature_contributions(
        self, X: ArrayLike, age: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """Negative log-likelihood of each feature, shape (n_infants, n_features)."""
        check_is_fitted(self, "mean_")
        X = self._check_X(X, reset=False)
        a = _ages(age, X.shape[0])
        keys: list[bool | None] = [None] * X.shape[0]
        if len(self.mean_) > 1 and a is not None and self.age_split is not None:
            keys = [bool(v) for v in a > self.age_split]
        mean = np.array([self.mean_[k] for k in keys])
        std = np.array([self.std_[k] for k in keys])
        z = (X - mean) / std
        return np.asarray(0.5 * z**2 + np.log(std) + 0.5 * np.log(2 * np.pi))


class ShrinkageSurprise(_Normative):
    """Correlated features: age covariate, standardisation, Ledoit–Wolf covariance.

    Parameters
    ----------
    age_covariate : bool
        Regress each feature on age (linear) in the reference and score the residuals, when ages
        are given to ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> model = ShrinkageSurprise().fit(rng.normal(size=(50, 3)))
    >>> model.feature_contributions([[1.0, 0.0, 0.0]]).shape
    (1, 3)
    """

    def __init__(self, *, age_covariate: bool = True) -> None:
        self.age_covariate = age_covariate

    def _design(self, n: int, a: NDArray[np.float64] | None) -> NDArray[np.float64]:
        if self.slope_ is None or a is None:
            return np.zeros((n, self.n_features_in_))
        return np.outer(a - self.age_mean_, self.slope_)

    def fit(self, X: ArrayLike, y: Any = None, age: ArrayLike | None = None) -> ShrinkageSurprise:
        """Fit the age slopes, feature scales and the shrinkage covariance on reference infants."""
        X = self._check_X(X, reset=True)
        a = _ages(age, X.shape[0])
        self.slope_: NDArray[np.float64] | None = None
        self.age_mean_ = 0.0
        if self.age_covariate and a is not None and np.ptp(a) > 0:
            self.age_mean_ = float(a.mean())
            ac = a - self.age_mean_
            self.slope_ = (ac @ (X - X.mean(axis=0))) / (ac @ ac)
        residual = X - self._design(X.shape[0], a)
        self.location_ = residual.mean(axis=0)
        self.scale_ = np.maximum(residual.std(axis=0), 1e-9)
        lw = LedoitWolf(assume_centered=True).fit((residual - self.location_) / self.scale_)
        self.covariance_, self.precision_ = lw.covariance_, lw.precision_
        self.shrinkage_ = float(lw.shrinkage_)
        return self

    def feature_contributions(
        self, X: ArrayLike, age: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """``0.5 z_j (P z)_j`` per feature (sums to half the squared Mahalanobis distance)."""
        check_is_fitted(self, "precision_")
        X = self._check_X(X, reset=False)
        a = _ages(age, X.shape[0])
        z = (X - self._design(X.shape[0], a) - self.location_) / self.scale_
        return np.asarray(0.5 * z * (z @ self.precision_))


NORMATIVE_MODELS: tuple[str, ...] = ("gaussian", "shrinkage")


def make_normative_model(model: str) -> _Normative:
    """``"shrinkage"`` → :class:`ShrinkageSurprise`, ``"gaussian"`` → :class:`GaussianSurprise`."""
    models = {"shrinkage": ShrinkageSurprise, "gaussian": GaussianSurprise}
    return models[check_option("model", model, NORMATIVE_MODELS)]()  # type: ignore[no-any-return]


def one_sided_p_values(surprise: ArrayLike, reference: ArrayLike) -> NDArray[np.float64]:
    """Fraction of ``reference`` surprises at least as large, with the +1 correction.

    ``p = (1 + #{reference >= s}) / (n_reference + 1)``: valid (never too small) when ``s`` is
    exchangeable with the reference values, and small only for *more* surprising infants.
    """
    s = np.asarray(surprise, dtype=np.float64).reshape(-1)
    ref = np.sort(np.asarray(reference, dtype=np.float64).reshape(-1))
    at_least = ref.size - np.searchsorted(ref, s, side="left")
    return np.asarray((1.0 + at_least) / (ref.size + 1.0), dtype=np.float64)


def _loo_one(model: _Normative, X: NDArray[np.float64], age: Any, i: int) -> NDArray[np.float64]:
    keep = np.arange(X.shape[0]) != i
    fitted = clone(model).fit(X[keep], age=None if age is None else age[keep])
    return fitted.feature_contributions(X[i : i + 1], None if age is None else age[i : i + 1])[0]  # type: ignore[no-any-return]


def score_against_reference(
    model: _Normative,
    X: ArrayLike,
    is_reference: ArrayLike,
    age: ArrayLike | None = None,
    *,
    n_jobs: int | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Surprise, contributions, z and one-sided p for every infant.

    Reference infants are scored leave-one-out (each by a model fitted on the other reference
    infants); the others by the model fitted on all reference infants.

    Returns
    -------
    dict
        ``surprise`` (n,), ``contributions`` (n, n_features), ``z`` (n,), ``p_value`` (n,); the
        reference's own p-values compare each reference infant with the *other* reference infants.
    """
    X = np.asarray(X, dtype=np.float64)
    ref = np.asarray(is_reference, dtype=bool)
    a = _ages(age, X.shape[0])
    if ref.sum() < 3:
        raise DataValueError(f"need at least 3 reference infants; got {int(ref.sum())}.")
    idx = np.flatnonzero(ref)
    Xr, ar = X[ref], None if a is None else a[ref]
    contrib = np.empty_like(X)
    loo = Parallel(n_jobs=n_jobs)(delayed(_loo_one)(model, Xr, ar, i) for i in range(idx.size))
    contrib[idx] = np.array(loo)
    if (~ref).any():
        full = clone(model).fit(Xr, age=ar)
        contrib[~ref] = full.feature_contributions(X[~ref], None if a is None else a[~ref])
    surprise = contrib.sum(axis=1)
    ref_s = surprise[ref]
    z = (surprise - ref_s.mean()) / ref_s.std(ddof=1)
    p = one_sided_p_values(surprise, ref_s)
    # A reference infant is compared with the others only: (1 + #{others >= s}) / n_ref.
    p[ref] = (1.0 + (ref_s[None, :] >= ref_s[:, None]).sum(axis=1) - 1.0) / ref_s.size
    return {"surprise": surprise, "contributions": contrib, "z": z, "p_value": p}
