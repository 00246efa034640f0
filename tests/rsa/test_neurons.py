import numpy as np
import pytest

from neurodl.exceptions import DataValueError, NeurodlValueError
from neurodl.rsa import bootstrap_over_neurons, compare_rdms, compute_noise_ceiling, compute_rdm


@pytest.fixture
def repeated(rng):
    n, p, r = 7, 30, 3
    x = rng.standard_normal((n * r, p))
    conditions = np.tile(np.arange(n), r)
    splits = np.repeat(np.arange(r), n)
    models = np.stack([compute_rdm(rng.standard_normal((n, 4)), method="euclidean") for _ in "ab"])
    return models, x, conditions, splits


@pytest.mark.parametrize("rdm", ["euclidean", "correlation"])
@pytest.mark.parametrize("method", ["pearson", "spearman", "kendall_tau_a", "whitened_cosine"])
def test_equals_recomputing_rdms_from_resampled_channels(repeated, rdm, method):
    models, x, conditions, splits = repeated
    res = bootstrap_over_neurons(
        models,
        x,
        conditions,
        rdm=rdm,
        method=method,
        splits=splits,
        n_resamples=3,
        random_state=1,
        max_memory=2000,  # several channel blocks
    )
    for i, channels in enumerate(res.resamples):
        rdms = np.stack(
            [
                compute_rdm(x[splits == s][:, channels], conditions[splits == s], method=rdm)
                for s in range(3)
            ]
        )
        naive = [np.mean([compare_rdms(m, d, method=method) for d in rdms]) for m in models]
        np.testing.assert_allclose(res.samples[i], naive, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(
            res.ceiling_samples[i], compute_noise_ceiling(rdms, method=method), rtol=1e-9
        )
    original = [compute_rdm(x[splits == s], conditions[splits == s], method=rdm) for s in range(3)]
    np.testing.assert_allclose(
        res.noise_ceiling, compute_noise_ceiling(np.stack(original), method=method), rtol=1e-9
    )


def test_without_splits_one_rdm_and_no_ceiling(repeated):
    models, x, conditions, _ = repeated
    res = bootstrap_over_neurons(models, x, conditions, n_resamples=20, random_state=0)
    expected = [compare_rdms(m, compute_rdm(x, conditions)) for m in models]
    np.testing.assert_allclose(res.similarity, expected, rtol=1e-10)
    assert np.isnan(res.noise_ceiling).all() and np.isnan(res.ceiling_samples).all()
    assert res.samples.shape == (20, 2) and res.resamples.shape == (20, x.shape[1])
    again = bootstrap_over_neurons(models, x, conditions, n_resamples=20, random_state=0)
    np.testing.assert_array_equal(res.samples, again.samples)


def _population(rng, p, n=8):
    """Noise-free responses of p neurons drawn from a population with a ring + ramp code."""
    angle = 2 * np.pi * np.arange(n) / n
    basis = np.stack([np.cos(angle), np.sin(angle), np.linspace(-1, 1, n)], axis=1)
    return basis @ rng.standard_normal((3, p))


@pytest.mark.parametrize("rdm", ["euclidean", "correlation"])
def test_intervals_cover_the_population_value(rdm):
    n = 8
    angle = 2 * np.pi * np.arange(n) / n
    ring = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    model = compute_rdm(
        ring + 0.5 * np.random.default_rng(5).standard_normal((n, 2)), method="euclidean"
    )
    # the population RDM, from very many neurons
    truth = compare_rdms(
        model, compute_rdm(_population(np.random.default_rng(1), 200_000), method=rdm)
    )
    rng = np.random.default_rng(2)
    covered = [
        bootstrap_over_neurons(
            model,
            _population(rng, 60),
            rdm=rdm,
            n_resamples=200,
            confidence_level=0.9,
            random_state=rng,
        )
        for _ in range(60)
    ]
    rate = np.mean([r.ci_low[0] <= truth <= r.ci_high[0] for r in covered])
    assert 0.8 <= rate <= 0.98, rate


def test_errors(repeated):
    models, x, conditions, splits = repeated
    with pytest.raises(NeurodlValueError, match="rdm must be one of"):
        bootstrap_over_neurons(models, x, conditions, rdm="crossnobis")
    with pytest.raises(NeurodlValueError, match="method must be one of"):
        bootstrap_over_neurons(models, x, conditions, method="corr")
    with pytest.raises(NeurodlValueError, match="one row per condition"):
        bootstrap_over_neurons(models[:, :5, :5], x, conditions)
    with pytest.raises(DataValueError, match="conditions must have shape"):
        bootstrap_over_neurons(models, x, conditions[:-1])
    with pytest.raises(DataValueError, match="must be 2-D"):
        bootstrap_over_neurons(models, x[0], conditions)
    with pytest.raises(DataValueError, match="splits must have shape"):
        bootstrap_over_neurons(models, x, conditions, splits=splits[:3])
    with pytest.raises(NeurodlValueError, match="at least 2 splits"):
        bootstrap_over_neurons(models, x, conditions, splits=np.zeros(x.shape[0]))
    with pytest.raises(DataValueError, match="every condition must occur in every split"):
        bootstrap_over_neurons(models, x, conditions, splits=(conditions == 0).astype(int))
    with pytest.raises(NeurodlValueError, match="resamples must be integer channel indices"):
        bootstrap_over_neurons(models, x, conditions, resamples=np.zeros((3, 4), int))
    with pytest.raises(NeurodlValueError, match="resamples must index channels"):
        bootstrap_over_neurons(models, x, conditions, resamples=np.full((2, x.shape[1]), 99))
    with pytest.raises(NeurodlValueError, match="n_resamples must be >= 1"):
        bootstrap_over_neurons(models, x, conditions, n_resamples=0)
    with pytest.raises(NeurodlValueError, match="confidence_level"):
        bootstrap_over_neurons(models, x, conditions, confidence_level=0.0)
    with pytest.raises(NeurodlValueError, match="max_memory"):
        bootstrap_over_neurons(models, x, conditions, max_memory=0)
