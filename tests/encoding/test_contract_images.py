"""The scikit-learn contract of the encoders, checked on image-shaped data.

scikit-learn's generic checks pass 2-D feature tables, which encoders refuse (they take images
of shape (n_images, height, width)); these are the same checks on images instead.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from neurodl.encoding import CNNEncoder, LinearEncoder


def _encoders() -> list[object]:
    tiny = {"channels": (4,), "kernel_sizes": (5,), "max_iter": 3, "batch_size": 16}
    return [LinearEncoder(pool=2), CNNEncoder(random_state=0, **tiny)]


@pytest.fixture(scope="module")
def images_and_responses() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    images = rng.standard_normal((40, 12, 16)).astype(np.float32)
    weights = rng.standard_normal((12 * 16, 3)).astype(np.float32) / 14
    responses = np.maximum(images.reshape(40, -1) @ weights, 0) + 0.1
    return images, responses.astype(np.float32)


def _params_equal(a: dict[str, object], b: dict[str, object]) -> bool:
    return a.keys() == b.keys() and all(
        np.array_equal(np.asarray(a[k], dtype=object), np.asarray(b[k], dtype=object)) for k in a
    )


@pytest.mark.parametrize("encoder", _encoders(), ids=lambda e: type(e).__name__)
def test_contract_on_images(encoder, images_and_responses):
    images, responses = images_and_responses
    before = (images.copy(), responses.copy())
    params = encoder.get_params()
    frozen_images, frozen_responses = images.copy(), responses.copy()
    frozen_images.setflags(write=False)
    frozen_responses.setflags(write=False)

    fitted = clone(encoder).fit(frozen_images, frozen_responses)  # read-only input works
    assert _params_equal(fitted.get_params(), params)  # fit overwrites no parameter
    assert not hasattr(clone(fitted), "n_features_in_")  # a clone is unfitted
    first = fitted.predict(images)
    assert first.shape == (images.shape[0], responses.shape[1])

    state = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(fitted).items()}
    fitted.predict(images)  # predict changes nothing on the estimator
    assert vars(fitted).keys() == state.keys()
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(vars(fitted)[key], value)

    again = fitted.fit(images, responses).predict(images)  # idempotent fit
    np.testing.assert_allclose(again, first, rtol=1e-5, atol=1e-6)

    restored = pickle.loads(pickle.dumps(fitted))  # pickle round trip
    np.testing.assert_array_equal(restored.predict(images), fitted.predict(images))

    order = np.random.default_rng(1).permutation(images.shape[0])  # sample-order invariance
    np.testing.assert_allclose(
        fitted.predict(images[order]), fitted.predict(images)[order], rtol=1e-5, atol=1e-6
    )
    subset = fitted.predict(images[:7])  # subset invariance
    np.testing.assert_allclose(subset, fitted.predict(images)[:7], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(images, before[0])  # inputs untouched
    np.testing.assert_array_equal(responses, before[1])
