import numpy as np
import pytest
import torch

from neurodl.exceptions import NeurodlValueError
from neurodl.models.tilt import TiltCNN
from neurodl.rsa import make_tilt_task, train_tilt_cnn
from neurodl.stimuli import make_filter_bank


def test_tilt_cnn_shapes_and_filter_bank_init():
    bank = torch.from_numpy(make_filter_bank(7))
    net = TiltCNN((48, 64), conv_init=bank)
    torch.testing.assert_close(net.conv.weight[:, 0], bank)
    out = net(torch.zeros(3, 48, 64))
    assert out.shape == (3,) and torch.all((out > 0) & (out < 1))
    deep = TiltCNN((48, 64), n_blocks=3)
    assert deep(torch.zeros(2, 1, 48, 64)).shape == (2,)
    assert hasattr(deep, "conv3") and deep.fc.in_features == 24 * 6 * 8


def test_tilt_cnn_errors():
    with pytest.raises(NeurodlValueError, match="conv_init must have shape"):
        TiltCNN(conv_init=torch.zeros(4, 7, 7))
    with pytest.raises(NeurodlValueError, match="image_size"):
        TiltCNN((4, 4))
    with pytest.raises(NeurodlValueError, match="n_blocks"):
        TiltCNN(n_blocks=0)


def test_tilt_task_labels_follow_orientation():
    task = make_tilt_task(40, reference=10.0, random_state=0)
    np.testing.assert_array_equal(task.labels, (task.orientation > 10.0).astype(np.float32))
    assert task.images.shape == (40, 48, 64)
    with pytest.raises(NeurodlValueError, match="tilts must satisfy"):
        make_tilt_task(10, min_tilt=50, max_tilt=40)


def test_train_tilt_cnn_beats_chance_and_is_seeded():
    state = torch.random.get_rng_state()
    _net, acc, history = train_tilt_cnn(
        image_size=(24, 32), n_train=256, n_test=128, max_epochs=4, random_state=1
    )
    assert torch.equal(state, torch.random.get_rng_state())
    assert acc > 0.7
    _, acc2, history2 = train_tilt_cnn(
        image_size=(24, 32), n_train=256, n_test=128, max_epochs=4, random_state=1
    )
    assert acc == acc2 and history.loss_curve == history2.loss_curve
