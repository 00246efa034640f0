import numpy as np
import pytest
import torch
from torch import nn

from neurodl.exceptions import DataValueError, NeurodlTypeError, NeurodlValueError
from neurodl.models.tilt import TiltCNN
from neurodl.rsa import extract_activations, layer_names


class TupleNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        h = self.body(x)
        return self.head(h.mean(dim=(2, 3))), h


def test_activations_of_sequential_match_manual_forward(rng):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 5), nn.ReLU(), nn.Linear(5, 2))
    images = rng.standard_normal((7, 4, 4)).astype(np.float32)
    acts = extract_activations(net, images, ["1", "2", "3"], batch_size=3)
    with torch.no_grad():
        pre = net[1](torch.from_numpy(images).reshape(7, -1))
    np.testing.assert_allclose(acts["1"], pre.numpy(), rtol=1e-5)
    np.testing.assert_allclose(acts["2"], np.maximum(pre.numpy(), 0), rtol=1e-5)
    assert acts["3"].shape == (7, 2) and acts["3"].dtype == np.float32


def test_activations_of_nested_module_with_tuple_output_and_mode_restored(rng):
    net = TupleNet().train()
    images = rng.standard_normal((5, 3, 6, 6)).astype(np.float32)
    acts = extract_activations(net, images, ["body.0", "body", "head"])
    assert acts["body.0"].shape == (5, 4 * 4 * 4)
    assert acts["head"].shape == (5, 2)
    assert net.training


def test_reductions(rng):
    net = TiltCNN((16, 16))
    images = rng.standard_normal((12, 16, 16)).astype(np.float32)
    pca = extract_activations(net, images, ["relu"], reduce="pca", n_components=5)["relu"]
    assert pca.shape == (12, 5)
    assert np.all(np.diff(pca.var(axis=0)) <= 1e-6)
    rp = extract_activations(
        net, images, ["relu"], reduce="random_projection", n_components=50, batch_size=5
    )
    full = extract_activations(net, images, ["relu"])["relu"]
    # a Gaussian random projection roughly keeps distances between images
    d_full = np.linalg.norm(full[0] - full[1])
    d_rp = np.linalg.norm(rp["relu"][0] - rp["relu"][1])
    assert 0.5 < d_rp / d_full < 1.5


def test_activation_errors(rng):
    net = TiltCNN((16, 16))
    images = np.zeros((2, 16, 16), np.float32)
    with pytest.raises(NeurodlValueError, match=r"not found in TiltCNN; it has: conv, relu, pool"):
        extract_activations(net, images, ["conv1"])
    with pytest.raises(NeurodlValueError, match="at least one"):
        extract_activations(net, images, [])
    with pytest.raises(NeurodlValueError, match="reduce must be one of"):
        extract_activations(net, images, ["conv"], reduce="svd")
    with pytest.raises(DataValueError, match="images must have shape"):
        extract_activations(net, np.zeros(5), ["conv"])
    with pytest.raises(NeurodlTypeError, match=r"torch\.nn\.Module"):
        extract_activations("net", images, ["conv"])  # type: ignore[arg-type]
    assert "fc_relu" in layer_names(net)


class _Block(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 3, 3, padding=1)
        self.act = torch.nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(x))


class _Nested(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.block = _Block()
        self.features = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 3), torch.nn.Tanh())
        self.repeat = torch.nn.ReLU()
        self.head = torch.nn.Linear(2 * 6 * 6, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(self.block(x))
        for _ in range(2):
            x = self.repeat(x)
        return self.head(x.flatten(1))


def test_torchscript_layers_equal_the_python_modules(rng, tmp_path):
    import warnings

    net = _Nested().eval()
    path = tmp_path / "net.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.script(net).save(str(path))
        scripted = torch.jit.load(str(path))
    images = rng.standard_normal((7, 8, 8)).astype(np.float32)
    layers = ["block", "block.act", "features.0", "features", "head"]
    expected = extract_activations(net, images, layers, batch_size=3)
    got = extract_activations(scripted, images, layers, batch_size=3)
    for name in layers:
        assert got[name].shape == expected[name].shape
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-5, atol=1e-6)
    assert scripted.training is False
    with pytest.raises(NeurodlValueError, match="not called at the top level"):
        extract_activations(scripted, images, ["repeat"])
    with pytest.raises(NeurodlValueError, match="not found"):
        extract_activations(scripted, images, ["nothing"])
