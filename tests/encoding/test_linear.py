"""The closed-form leave-one-out ridge against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from neurodl.encoding.linear import fit_ridge_loo


@pytest.mark.parametrize("n_features", [15, 80])  # more samples than features, and fewer
def test_loo_matches_brute_force_with_intercept(rng, n_features):
    n = 30
    x0 = rng.standard_normal((n, n_features))
    y0 = x0[:, :2] @ np.array([[1.0, 0.0], [0.5, -1.0]]) + rng.standard_normal((n, 2))
    x, y = x0 - x0.mean(0), y0 - y0.mean(0)
    alphas = np.array([1e-2, 1.0, 30.0])
    coef, chosen, loo = fit_ridge_loo(x, y, alphas)
    for k, alpha in enumerate(alphas):
        errors = []
        for i in range(n):
            keep = np.arange(n) != i
            xm, ym = x0[keep].mean(0), y0[keep].mean(0)
            xc = x0[keep] - xm
            w = np.linalg.solve(xc.T @ xc + alpha * np.eye(n_features), xc.T @ (y0[keep] - ym))
            errors.append((y0[i] - ym - (x0[i] - xm) @ w) ** 2)
        np.testing.assert_allclose(loo[k], np.mean(errors, axis=0), rtol=1e-3)
    np.testing.assert_array_equal(chosen, alphas[np.argmin(loo, axis=0)])
    for j in range(2):
        a = chosen[j]
        expected = np.linalg.solve(x.T @ x + a * np.eye(n_features), x.T @ y[:, j])
        np.testing.assert_allclose(coef[:, j], expected, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("shape", [(20, 50), (50, 20)])
def test_thin_svd_matches_lapack(rng, shape):
    from neurodl.encoding.linear import _thin_svd

    x = rng.standard_normal(shape).astype(np.float32)
    x -= x.mean(0)  # centring removes one direction: it is dropped
    u, s, vt = _thin_svd(x)
    expected = np.linalg.svd(x.astype(np.float64), compute_uv=False)
    np.testing.assert_allclose(s, expected[: s.size], rtol=1e-4)
    assert s.size == min(shape) - (1 if shape[0] <= shape[1] else 0)
    np.testing.assert_allclose((u * s) @ vt, x, atol=1e-4)
    np.testing.assert_allclose(u.T @ u, np.eye(s.size), atol=1e-4)
