import numpy as np
import pytest
import scipy.stats

from neurodl.exceptions import DataValueError, NeurodlValueError
from neurodl.rsa import COMPARE_METHODS, compare_rdms, compute_cka

from _rsa_oracle import RSA_NAMES, rsa_rdms, rsatoolbox  # isort: skip


@pytest.fixture
def vectors(rng):
    m = 9 * 8 // 2
    base = rng.random(m)
    a = base + 0.5 * rng.random((3, m))
    b = base + 0.5 * rng.random((2, m))
    b[1, :6] = b[1, 6]  # ties
    return a, b


@pytest.mark.parametrize("method", COMPARE_METHODS)
def test_compare_matches_rsatoolbox(vectors, method):
    a, b = vectors
    ours = compare_rdms(a, b, method=method)
    theirs = rsatoolbox.rdm.compare(rsa_rdms(a), rsa_rdms(b), method=RSA_NAMES[method])
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("method", COMPARE_METHODS)
def test_compare_drops_nan_pairs_like_rsatoolbox(vectors, method):
    a, b = (v.copy() for v in vectors)
    a[:, [2, 11]] = np.nan
    b[:, [2, 11]] = np.nan
    ours = compare_rdms(_square(a[0]), _square(b[0]), method=method)
    theirs = rsatoolbox.rdm.compare(rsa_rdms(a[0]), rsa_rdms(b[0]), method=RSA_NAMES[method])
    assert ours == pytest.approx(float(theirs[0, 0]), rel=1e-6)


def _square(v):
    n = round((1 + np.sqrt(1 + 8 * v.size)) / 2)
    out = np.zeros((n, n))
    rows, cols = np.triu_indices(n, k=1)
    out[rows, cols] = v
    out[cols, rows] = v
    return out


def test_whitened_comparisons_do_not_crash_with_nan_and_many_conditions(rng):
    n = 120
    a = rng.random((n, n))
    a = a + a.T
    b = a + rng.random((n, n)) * 0.1
    b = b + b.T
    a[3, 7] = a[7, 3] = np.nan
    value = compare_rdms(a, b, method="whitened_pearson")
    assert 0.5 < value <= 1.0


def test_compare_closed_forms(rng):
    a, b = rng.random(45), rng.random(45)
    assert compare_rdms(a, b, method="pearson") == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert compare_rdms(a, b, method="spearman") == pytest.approx(scipy.stats.spearmanr(a, b)[0])
    # without ties tau-a equals tau-b and rho-a equals Spearman
    assert compare_rdms(a, b, method="kendall_tau_a") == pytest.approx(
        scipy.stats.kendalltau(a, b)[0]
    )
    assert compare_rdms(a, b, method="rho_a") == pytest.approx(scipy.stats.spearmanr(a, b)[0])


def test_compare_stacks_shape(rng):
    out = compare_rdms(rng.random((4, 6, 6)), rng.random((3, 6, 6)), method="pearson")
    assert out.shape == (4, 3)


def test_compare_errors(rng):
    with pytest.raises(NeurodlValueError, match="method must be one of"):
        compare_rdms(rng.random(10), rng.random(10), method="corr")
    with pytest.raises(NeurodlValueError, match="same number of conditions"):
        compare_rdms(rng.random(10), rng.random(15))
    with pytest.raises(NeurodlValueError, match="at least 3 conditions"):
        compare_rdms(rng.random(1), rng.random(1))
    with pytest.raises(NeurodlValueError, match="length n"):
        compare_rdms(rng.random(7), rng.random(7))
    with pytest.raises(DataValueError, match="fewer than 2"):
        compare_rdms(np.full(10, np.nan), rng.random(10))


def test_linear_cka_closed_form_and_invariances(rng):
    x = rng.standard_normal((30, 8))
    y = x @ rng.standard_normal((8, 5)) + 0.5 * rng.standard_normal((30, 5))
    xc, yc = x - x.mean(0), y - y.mean(0)
    expected = np.linalg.norm(yc.T @ xc) ** 2 / (
        np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc)
    )
    assert compute_cka(x, y) == pytest.approx(expected)
    q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    assert compute_cka(x @ q * 3 + 1, y) == pytest.approx(expected)
    assert compute_cka(x, x) == pytest.approx(1.0)


def test_debiased_cka_removes_bias_for_independent_data(rng):
    x, y = rng.standard_normal((20, 200)), rng.standard_normal((20, 200))
    biased = compute_cka(x, y)
    debiased = compute_cka(x, y, debiased=True)
    assert biased > 0.5
    assert abs(debiased) < 0.2
    assert compute_cka(x, x, kernel="rbf") == pytest.approx(1.0)
    assert 0 <= compute_cka(x, y, kernel="rbf") < 1


def test_cka_errors(rng):
    x = rng.standard_normal((5, 3))
    with pytest.raises(NeurodlValueError, match="kernel must be one of"):
        compute_cka(x, x, kernel="poly")
    with pytest.raises(DataValueError, match="same number of rows"):
        compute_cka(x, x[:4])
    with pytest.raises(DataValueError, match="at least 4"):
        compute_cka(x[:3], x[:3], debiased=True)
    with pytest.raises(NeurodlValueError, match="sigma must be"):
        compute_cka(x, x, kernel="rbf", sigma=0)
