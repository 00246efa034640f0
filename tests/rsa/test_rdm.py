import numpy as np
import pytest

from neurodl.exceptions import DataValueError, NeurodlValueError
from neurodl.rsa import compute_rdm, estimate_noise, rdm_to_vector, vector_to_rdm

from _rsa_oracle import rsa_rdm, rsatoolbox  # isort: skip


@pytest.fixture
def repeated(rng):
    n, p, r = 9, 25, 4
    x = rng.standard_normal((n * r, p)) + rng.standard_normal((n, p)).repeat(r, axis=0)
    conditions = np.repeat(np.arange(n) * 10, r)
    order = rng.permutation(n * r)
    return x[order], conditions[order]


@pytest.mark.parametrize("method", ["euclidean", "correlation", "poisson"])
def test_rdm_matches_rsatoolbox(repeated, method):
    x, c = repeated
    x = np.abs(x) if method == "poisson" else x
    ours = compute_rdm(x, c, method=method)
    theirs = rsa_rdm(x, c, method)
    np.testing.assert_allclose(rdm_to_vector(ours), rdm_to_vector(theirs), rtol=1e-6, atol=1e-12)
    assert np.all(np.diag(ours) == 0)


@pytest.mark.parametrize("method", ["mahalanobis", "crossnobis"])
def test_noise_weighted_rdms_match_rsatoolbox(repeated, method):
    x, c = repeated
    precision = estimate_noise(x, c, method="shrinkage_diag", precision=True)
    ours = compute_rdm(x, c, method=method, noise=precision)
    theirs = rsa_rdm(x, c, method, noise=precision)
    np.testing.assert_allclose(rdm_to_vector(ours), rdm_to_vector(theirs), rtol=1e-6, atol=1e-12)


def test_crossnobis_with_explicit_unbalanced_folds_matches_rsatoolbox(rng):
    n, p = 6, 12
    x = rng.standard_normal((n * 5, p))
    c = np.tile(np.arange(n), 5)
    folds = np.repeat([0, 0, 1, 1, 2], n)  # folds with 2, 2 and 1 repeats
    ours = compute_rdm(x, c, method="crossnobis", folds=folds)
    ds = rsatoolbox.data.Dataset(x, obs_descriptors={"c": c, "f": folds})
    theirs = rsatoolbox.rdm.calc_rdm(ds, method="crossnobis", descriptor="c", cv_descriptor="f")
    np.testing.assert_allclose(rdm_to_vector(ours), theirs.get_vectors()[0], rtol=1e-6)


def test_crossnobis_is_unbiased_for_identical_conditions(rng):
    # pure noise: expected crossnobis distance is 0, euclidean is positive
    x = rng.standard_normal((8 * 20, 50))
    c = np.tile(np.arange(8), 20)
    cross = rdm_to_vector(compute_rdm(x, c, method="crossnobis"))
    eucl = rdm_to_vector(compute_rdm(x, c, method="euclidean"))
    assert abs(cross.mean()) < 4 * cross.std() / np.sqrt(cross.size)
    assert eucl.mean() > 10 * abs(cross.mean())


def test_rdm_keeps_order_of_first_appearance_and_float32_input(rng):
    x = rng.standard_normal((3, 5)).astype(np.float32)
    rdm = compute_rdm(x, ["b", "a", "c"], method="euclidean")
    assert rdm[0, 1] == pytest.approx(np.sum((x[0] - x[1]).astype(float) ** 2) / 5, rel=1e-6)
    y = x.copy()
    compute_rdm(x, method="correlation")
    np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("method", ["diag", "full", "shrinkage_eye", "shrinkage_diag"])
def test_noise_estimates_match_rsatoolbox(repeated, method):
    from rsatoolbox.data.noise import cov_from_residuals, cov_from_unbalanced

    x, c = repeated
    np.testing.assert_allclose(
        estimate_noise(x, method=method), cov_from_residuals(x.copy(), method=method), rtol=1e-6
    )
    ds = rsatoolbox.data.Dataset(x, obs_descriptors={"c": c})
    np.testing.assert_allclose(
        estimate_noise(x, c, method=method), cov_from_unbalanced(ds, "c", method=method), rtol=1e-6
    )
    prec = estimate_noise(x, c, method=method, precision=True)
    np.testing.assert_allclose(
        prec @ estimate_noise(x, c, method=method), np.eye(x.shape[1]), atol=1e-8
    )


def test_vector_roundtrip(rng):
    v = rng.random((2, 10))
    np.testing.assert_array_equal(rdm_to_vector(vector_to_rdm(v)), v)
    with pytest.raises(NeurodlValueError, match="length n"):
        vector_to_rdm(np.ones(7))


def test_rdm_errors(rng):
    x = rng.standard_normal((6, 4))
    with pytest.raises(NeurodlValueError, match="method must be one of"):
        compute_rdm(x, method="cityblock")
    with pytest.raises(DataValueError, match=r"shape \(6,\)"):
        compute_rdm(x, np.arange(5))
    with pytest.raises(DataValueError, match="at least 2 conditions"):
        compute_rdm(x, np.zeros(6))
    with pytest.raises(NeurodlValueError, match="at least 2 folds"):
        compute_rdm(x, np.repeat([0, 1, 2], 2), method="crossnobis", folds=np.zeros(6))
    with pytest.raises(DataValueError, match="same number of observations"):
        compute_rdm(x, [0, 0, 0, 1, 1, 2], method="crossnobis")
    with pytest.raises(NeurodlValueError, match="needs conditions"):
        compute_rdm(x, method="crossnobis")
    with pytest.raises(NeurodlValueError, match="precision matrix of shape"):
        compute_rdm(x, method="mahalanobis", noise=np.eye(3))
    with pytest.raises(DataValueError, match="NaN"):
        compute_rdm(np.full((3, 3), np.nan))
    with pytest.raises(DataValueError, match="non-negative"):
        compute_rdm(-np.abs(x) - 1, method="poisson")
    with pytest.raises(NeurodlValueError, match="method must be one of"):
        estimate_noise(x, method="ledoit")
    with pytest.raises(DataValueError, match="degrees of freedom"):
        estimate_noise(x, np.arange(6))
