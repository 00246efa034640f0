import warnings

import numpy as np
import pytest
import scipy.stats

from neurodl.exceptions import NeurodlValueError
from neurodl.rsa import (
    BOOTSTRAP_METHODS,
    COMPARE_METHODS,
    bootstrap_rdm_comparison,
    compute_noise_ceiling,
    pairwise_bootstrap_test,
    permutation_test,
    vector_to_rdm,
)

from _rsa_oracle import RSA_NAMES, rsa_rdms, rsatoolbox  # isort: skip


@pytest.fixture
def rdms(rng):
    m = 10 * 9 // 2
    base = rng.random(m)
    data = base + 0.4 * rng.random((4, m))
    models = base + 0.6 * rng.random((2, m))
    models[1, :5] = models[1, 0]  # ties
    return vector_to_rdm(models), vector_to_rdm(data)


@pytest.mark.parametrize("method", BOOTSTRAP_METHODS)
def test_bootstrap_matches_rsatoolbox_resample_by_resample(rdms, method):
    models, data = rdms
    n, n_boot = data.shape[1], 25
    np.random.seed(3)  # noqa: NPY002 - rsatoolbox draws from the legacy global generator
    fixed = [
        rsatoolbox.model.ModelFixed(f"m{i}", rsa_rdms(models[i][np.triu_indices(n, 1)]))
        for i in range(2)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = rsatoolbox.inference.eval_bootstrap_pattern(
            fixed, rsa_rdms(data[:, *np.triu_indices(n, 1)]), method=RSA_NAMES[method], N=n_boot
        )
    np.random.seed(3)  # noqa: NPY002 - replay rsatoolbox's draws
    drawn = np.array([np.random.randint(0, n, size=n) for _ in range(n_boot)])  # noqa: NPY002
    ours = bootstrap_rdm_comparison(models, data, method=method, resamples=drawn)
    np.testing.assert_allclose(ours.samples, theirs.evaluations, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours.ceiling_samples.T, theirs.noise_ceiling, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("method", ["pearson", "cosine", "spearman", "rho_a"])
def test_bootstrap_over_rdms_matches_rsatoolbox(rdms, method):
    models, data = rdms
    n, k, n_boot = data.shape[1], data.shape[0], 30
    rows, cols = np.triu_indices(n, 1)
    np.random.seed(4)  # noqa: NPY002 - rsatoolbox draws from the legacy global generator
    fixed = [
        rsatoolbox.model.ModelFixed(f"m{i}", rsa_rdms(models[i][rows, cols])) for i in range(2)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = rsatoolbox.inference.eval_bootstrap_rdm(
            fixed, rsa_rdms(data[:, rows, cols]), method=RSA_NAMES[method], N=n_boot
        )
    np.random.seed(4)  # noqa: NPY002 - replay rsatoolbox's draws
    drawn = np.array([np.random.randint(0, k, size=k) for _ in range(n_boot)])  # noqa: NPY002
    ours = bootstrap_rdm_comparison(models, data, method=method, over="rdms", resamples=drawn)
    np.testing.assert_allclose(ours.samples, theirs.evaluations, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours.ceiling_samples.T, theirs.noise_ceiling, rtol=1e-6, atol=1e-12)
    with pytest.raises(NeurodlValueError, match="at least 2 data RDMs"):
        bootstrap_rdm_comparison(models, data[0], over="rdms")
    with pytest.raises(NeurodlValueError, match="over must be one of"):
        bootstrap_rdm_comparison(models, data, over="neurons")


@pytest.mark.parametrize("method", COMPARE_METHODS)
def test_noise_ceiling_matches_rsatoolbox(rdms, method):
    _, data = rdms
    n = data.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = rsatoolbox.inference.boot_noise_ceiling(
            rsa_rdms(data[:, *np.triu_indices(n, 1)]), method=RSA_NAMES[method]
        )
    np.testing.assert_allclose(compute_noise_ceiling(data, method=method), theirs, rtol=1e-6)


def test_bootstrap_point_estimates_equal_noise_ceiling_function(rdms):
    models, data = rdms
    res = bootstrap_rdm_comparison(models, data, n_resamples=50, random_state=0)
    np.testing.assert_allclose(res.noise_ceiling, compute_noise_ceiling(data), rtol=1e-10)
    assert res.samples.shape == (50, 2)
    assert np.all(res.ci_low <= res.similarity) and np.all(res.similarity <= res.ci_high)
    again = bootstrap_rdm_comparison(models, data, n_resamples=50, random_state=0)
    np.testing.assert_array_equal(res.samples, again.samples)


def _population_experiment(rng, n):
    """Conditions drawn from a population in which model and data RDMs correlate."""
    z = rng.standard_normal((n, 3))
    w = z + 0.8 * rng.standard_normal((n, 3))
    model = ((z[:, None] - z[None]) ** 2).sum(-1)
    data = ((w[:, None] - w[None]) ** 2).sum(-1)
    return model, data


def test_bootstrap_intervals_cover_population_value(rng):
    # population value of the Pearson similarity, from many conditions
    model, data = _population_experiment(np.random.default_rng(0), 1500)
    rows, cols = np.triu_indices(1500, k=1)
    truth = np.corrcoef(model[rows, cols], data[rows, cols])[0, 1]
    covered = []
    for _ in range(80):
        m, d = _population_experiment(rng, 25)
        res = bootstrap_rdm_comparison(
            m, d, n_resamples=200, confidence_level=0.9, random_state=rng
        )
        covered.append(res.ci_low[0] <= truth <= res.ci_high[0])
    rate = np.mean(covered)
    assert 0.8 <= rate <= 1.0, rate


def test_permutation_p_values_uniform_under_null(rng):
    p = []
    for _ in range(150):
        model = vector_to_rdm(rng.random(28))
        data = vector_to_rdm(rng.random(28))
        p.append(permutation_test(model, data, n_permutations=99, random_state=rng).p_values[0])
    p = np.array(p)
    assert scipy.stats.kstest(p, "uniform").pvalue > 0.001
    assert 0.02 <= np.mean(p <= 0.1) <= 0.2


def test_permutation_detects_true_model(rdms):
    models, data = rdms
    res = permutation_test(models, data, method="spearman", n_permutations=199, random_state=0)
    assert res.p_values[0] == pytest.approx(1 / 200)
    assert res.null.shape == (199, 2)


def test_pairwise_test_separates_models(rdms, rng):
    models, data = rdms
    noise = vector_to_rdm(rng.random(45))
    res = bootstrap_rdm_comparison(
        np.stack([models[0], noise, models[0]]), data, n_resamples=200, random_state=1
    )
    diff, p = pairwise_bootstrap_test(res.samples)
    assert diff[0, 1] > 0 and p[0, 1] < 0.05
    assert p[0, 2] == 1.0 and diff[0, 2] == 0.0


def test_inference_errors(rdms):
    models, data = rdms
    with pytest.raises(NeurodlValueError, match="method must be one of"):
        bootstrap_rdm_comparison(models, data, method="tau")
    with pytest.raises(NeurodlValueError, match="same number of conditions"):
        bootstrap_rdm_comparison(models[:, :5, :5], data)
    with pytest.raises(NeurodlValueError, match="resamples must be integer"):
        bootstrap_rdm_comparison(models, data, resamples=np.zeros((3, 4), int))
    with pytest.raises(NeurodlValueError, match="at least 2 data RDMs"):
        compute_noise_ceiling(data[0])
    with pytest.raises(NeurodlValueError, match="at least 3 conditions"):
        permutation_test(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(NeurodlValueError, match="n_permutations"):
        permutation_test(models, data, n_permutations=0)
    with pytest.raises(NeurodlValueError, match="confidence_level"):
        bootstrap_rdm_comparison(models, data, confidence_level=1.5)
    with pytest.raises(NeurodlValueError, match="samples must have shape"):
        pairwise_bootstrap_test(np.ones(3))


def _expanded_rank_similarity(a, b, method):
    """rho-a or Spearman of two expanded (repeated-pair) vectors, by scipy's average ranks."""
    from scipy.stats import rankdata

    ra, rb = rankdata(a), rankdata(b)
    if method == "spearman":
        return float(np.corrcoef(ra, rb)[0, 1])
    n = a.size
    return float(12 * np.sum((ra - (n + 1) / 2) * (rb - (n + 1) / 2)) / (n**3 - n))


@pytest.mark.parametrize("method", ["spearman", "rho_a"])
def test_rank_bootstrap_equals_expanded_vectors_with_ties(method):
    """Weighted ranks on the original pairs equal ranks of the resampled vectors, ties included."""
    from neurodl.rsa._weighted import evaluate_weighted

    rng = np.random.default_rng(5)
    n = 12
    rows, cols = np.triu_indices(n, 1)
    vectors = rng.integers(0, 6, size=(4, rows.size)).astype(float)  # many ties
    vectors[1, 3] = np.nan  # a missing pair drops out of every vector
    counts = rng.multinomial(n, np.full(n, 1 / n), size=120).astype(float)
    evaluations, lower, upper = evaluate_weighted(counts, vectors[:1], vectors[1:], method)
    valid = ~np.isnan(vectors).any(axis=0)
    for i, c in enumerate(counts[:6]):  # 120 resamples: 3 joblib batches below
        repeat = (c[rows] * c[cols] * valid).astype(int)
        expanded = np.repeat(vectors[:, valid], repeat[valid], axis=1)
        data = expanded[1:]
        expect = np.mean([_expanded_rank_similarity(expanded[0], d, method) for d in data])
        np.testing.assert_allclose(evaluations[i, 0], expect, rtol=1e-10)
        from scipy.stats import rankdata

        ranks = np.array([rankdata(d) for d in data])
        up = np.mean([_expanded_rank_similarity(ranks.sum(0), d, method) for d in data])
        low = np.mean(
            [
                _expanded_rank_similarity(ranks.sum(0) - ranks[j], d, method)
                for j, d in enumerate(data)
            ]
        )
        np.testing.assert_allclose([lower[i], upper[i]], [low, up], rtol=1e-10)
    for n_jobs in (1, 2, -1):  # joblib batches on one core each: the same numbers
        again = evaluate_weighted(counts, vectors[:1], vectors[1:], method, n_jobs=n_jobs)
        for a, b in zip(again, (evaluations, lower, upper), strict=True):
            np.testing.assert_array_equal(a, b)
