"""The brain-like tilt networks (Dale's law, feedback alignment, recurrence) and their names."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from neurodl.cli import app
from neurodl.data import save
from neurodl.exceptions import NeurodlValueError
from neurodl.models import DaleLinear, RecurrentConvNet, RuleConv2d, RuleLinear, TiltCNN
from neurodl.rsa import run_rsa
from neurodl.rsa.networks import resolve_model
from neurodl.rsa.tilt import (
    TiltHistory,
    make_tilt_network,
    make_tilt_task,
    quick_settings,
    train_tilt_network,
)

from _rsa_data import tuned_recording  # isort: skip

QUICK = {"image_size": (24, 32), "n_train": 256, "n_test": 128, "max_epochs": 4}


def test_tilt_networks_are_built_seeded_and_leave_the_global_state_alone():
    state = torch.random.get_rng_state()
    dale = make_tilt_network("dale", (24, 32), random_state=3)
    assert isinstance(dale, TiltCNN)
    assert isinstance(dale.fc, DaleLinear) and isinstance(dale.out, DaleLinear)
    fa = make_tilt_network("fa", (24, 32), random_state=3)
    assert isinstance(fa.conv, RuleConv2d) and isinstance(fa.fc, RuleLinear)
    assert fa.fc.rule == "feedback_alignment"
    rcnn = make_tilt_network("rcnn", (24, 32), random_state=3)
    assert isinstance(rcnn, RecurrentConvNet) and rcnn(torch.zeros(2, 24, 32)).shape == (2, 1)
    assert torch.equal(state, torch.random.get_rng_state())
    again = make_tilt_network("dale", (24, 32), random_state=3)
    torch.testing.assert_close(again.fc.raw_weight, dale.fc.raw_weight)
    # the first layer of every kind starts from the same filter bank
    cnn = make_tilt_network("cnn", (24, 32), random_state=0)
    torch.testing.assert_close(fa.conv.weight, cnn.conv.weight)
    torch.testing.assert_close(rcnn.area1.bottom_up.weight, cnn.conv.weight)
    with pytest.raises(NeurodlValueError, match="kind must be one of"):
        make_tilt_network("lstm")


def test_dale_tilt_network_keeps_its_signs_through_training():
    net, accuracy, history = train_tilt_network("dale", random_state=0, **QUICK)
    assert 0.0 <= accuracy <= 1.0 and history.n_epochs >= 1
    for layer in (net.fc, net.out):
        weight = layer.effective_weight().detach()
        assert (weight[:, layer.excitatory] >= 0).all() and (
            weight[:, ~layer.excitatory] <= 0
        ).all()


def test_dale_tilt_network_keeps_its_signs_under_a_plain_torch_loop():
    """No neurodl training code: torch.optim.SGD with a large step on the tilt task."""
    net = make_tilt_network("dale", (24, 32), random_state=1)
    task = make_tilt_task(64, image_size=(24, 32), random_state=1)
    x, y = torch.from_numpy(task.images), torch.from_numpy(task.labels)
    raw_before = [torch.sign(layer.raw_weight.detach()) for layer in (net.fc, net.out)]
    optimizer = torch.optim.SGD(net.parameters(), lr=5.0, momentum=0.9)
    for _ in range(15):
        optimizer.zero_grad()
        torch.nn.functional.binary_cross_entropy(net(x).clamp(1e-6, 1 - 1e-6), y).backward()
        optimizer.step()
    crossed = False
    for layer, before in zip((net.fc, net.out), raw_before, strict=True):
        weight = layer.effective_weight().detach()
        assert (weight[:, layer.excitatory] >= 0).all()
        assert (weight[:, ~layer.excitatory] <= 0).all()
        crossed |= bool((torch.sign(layer.raw_weight.detach()) != before).any())
    assert crossed  # raw parameters changed sign: the signs hold by parametrisation


@pytest.mark.parametrize("name", ["tilt-dale", "tilt-fa"])
def test_builtin_names_train_the_variants(name):
    module, label, accuracy = resolve_model(
        name, image_size=(24, 32), quick=True, random_state=0, device="cpu", allow_pickle=False
    )
    assert label == name and accuracy is not None and 0.0 <= accuracy <= 1.0
    kind = {"tilt-dale": DaleLinear, "tilt-fa": RuleLinear}[name]
    assert isinstance(module.fc, kind)


@pytest.mark.parametrize("seed", [0, 7])
def test_quick_feedback_alignment_learns_and_logs_its_alignment_angle(seed):
    settings = quick_settings("fa")
    _net, accuracy, history = train_tilt_network(
        "fa", image_size=(24, 32), random_state=seed, **settings
    )
    # seeds 0-19: held-out accuracy 0.961-1.0 (0.45 at worst with the CNN's quick settings)
    assert accuracy >= 0.85
    assert isinstance(history, TiltHistory)
    angles = history.alignment_angles
    assert set(angles) == {"conv", "fc", "out"}
    assert all(len(values) == history.n_epochs + 1 for values in angles.values())
    assert max(angles["out"]) < 0.5  # the top layer needs no feedback (float32 acos near 1)
    # seeds 0-9: last angles 23-64 deg (conv) and 0-72 deg (fc); before training 46-103 deg
    assert angles["conv"][-1] < 90 and angles["fc"][-1] < 90
    cnn = train_tilt_network("cnn", image_size=(24, 32), random_state=seed, **quick_settings("cnn"))
    assert cnn[2].alignment_angles == {}


def test_run_rsa_compares_each_area_and_step_of_the_recurrent_network(rng):
    result = run_rsa(tuned_recording(rng), model="tilt-rcnn", quick=True, random_state=0)
    assert set(result.metrics["layers"]) == {"area1@t4", "area2@t4"}
    assert 0.0 <= result.metrics["task_test_accuracy"] <= 1.0
    steps = run_rsa(
        tuned_recording(rng),
        model=RecurrentConvNet((3, 4), times=2),
        layers=["area1@t1", "area1@t2", "area2@t2"],
        quick=True,
        random_state=0,
        figures=False,
    )
    assert set(steps.metrics["layers"]) == {"area1@t1", "area1@t2", "area2@t2"}


def test_cli_rsa_runs_the_recurrent_network_by_name(tmp_path, rng):
    rec = tuned_recording(rng)
    path = tmp_path / "rec.npz"
    save(rec, path)
    out = tmp_path / "out"
    args = ["rsa", str(path), "-o", str(out), "--quick", "--model", "tilt-rcnn"]
    result = CliRunner().invoke(app, [*args, "--layers", "area1@t1,area2@t4"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["layers"]) == {"area1@t1", "area2@t4"}
    assert 0.0 <= metrics["task_test_accuracy"] <= 1.0
    bad = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "bad"), "--layers", "area9@t1"])
    assert bad.exit_code == 1 and "area9@t1" in bad.output
