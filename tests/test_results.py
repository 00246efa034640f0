"""AnalysisResult.save and the atomic writers of neurodl.files."""

from __future__ import annotations

import json
import os
import stat

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from neurodl import AnalysisResult
from neurodl.files import atomic_directory, atomic_path, to_jsonable, write_json


def _result() -> AnalysisResult:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    return AnalysisResult(
        metrics={
            "accuracy": 0.9,
            "accuracy_ci_low": 0.8,
            "accuracy_ci_high": 0.95,
            "confidence_level": 0.95,
            "wall_seconds": 1.5,
            "per_fold": [0.1, np.float32(0.2)],
        },
        figures={"curve": fig},
        summary=["Accuracy is 0.9, chance is 0.5."],
        parameters={"random_state": 3, "device": "cpu", "n_resamples": 100},
        title="Decoding",
        descriptions={"accuracy": "fraction of held-out trials decoded correctly"},
    )


def test_save_writes_every_output_and_manifest(tmp_path):
    out = tmp_path / "new" / "run"
    written = _result().save(out, command="decode", inputs={"file": "x.npz"})
    assert sorted(written) == sorted(os.listdir(out))
    assert set(written) == {"metrics.json", "report.html", "manifest.json", "curve.png"}
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["accuracy_ci_high"] == 0.95
    assert metrics["per_fold"][1] == pytest.approx(0.2)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "decode"
    assert manifest["seed"] == 3 and manifest["device"] == "cpu"
    assert manifest["parameters"] == {
        "file": "x.npz",
        "random_state": 3,
        "device": "cpu",
        "n_resamples": 100,
    }
    assert manifest["wall_seconds"] >= 1.5
    page = (out / "report.html").read_text()
    assert "0.9 [0.8, 0.95]" in page and "Accuracy is 0.9, chance is 0.5." in page
    assert page.count("data:image/png;base64,") == 1
    assert (out / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # no temporary files left next to the folder
    assert [p.name for p in (tmp_path / "new").iterdir()] == ["run"]


def test_save_into_existing_folder_replaces_files(tmp_path):
    (tmp_path / "metrics.json").write_text("old")
    (tmp_path / "mine.txt").write_text("keep")
    _result().save(tmp_path)
    assert json.loads((tmp_path / "metrics.json").read_text())["accuracy"] == 0.9
    assert (tmp_path / "mine.txt").read_text() == "keep"


def test_failed_save_leaves_no_folder(tmp_path):
    result = _result()
    result.figures["broken"] = object()  # not a figure: saving it fails
    with pytest.raises(AttributeError):
        result.save(tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_a_file_as_folder(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(NotADirectoryError):
        _result().save(target)
    assert target.read_text() == "x"


def test_repr_html_shows_numbers_without_page_styles():
    fragment = _result()._repr_html_()
    assert "<body" not in fragment and "<style" not in fragment
    assert "fraction of held-out trials decoded correctly [95% confidence interval]" in fragment
    assert "Per fold" not in fragment  # lists are not table rows


def test_atomic_path_cleans_up_and_sets_ordinary_mode(tmp_path):
    target = tmp_path / "a.txt"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    with atomic_path(target) as tmp:
        tmp.write_text("whole")
    assert target.read_text() == "whole"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_atomic_directory_appears_only_when_complete(tmp_path):
    target = tmp_path / "out"
    with pytest.raises(KeyError), atomic_directory(target) as folder:
        (folder / "a").write_text("1")
        assert not target.exists()
        raise KeyError("stop")
    assert list(tmp_path.iterdir()) == []
    with atomic_directory(target) as folder:
        (folder / "a").write_text("1")
    assert (target / "a").read_text() == "1"


def test_to_jsonable_and_strict_json(tmp_path):
    value = {"a": np.arange(3), "b": (np.float64("nan"), np.inf), 1: tmp_path}
    assert to_jsonable(value) == {"a": [0, 1, 2], "b": [None, None], "1": str(tmp_path)}
    write_json(tmp_path / "m.json", {"x": float("inf")})
    assert json.loads((tmp_path / "m.json").read_text()) == {"x": None}


def test_analyses_without_figures_import_no_matplotlib():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from neurodl.data import simulate_v1\n"
        "from neurodl.decoding import run_decoding\n"
        "from neurodl.rsa import run_rsa\n"
        "rec = simulate_v1(40, 200, random_state=0)\n"
        "a = run_decoding(rec, quick=True, folds=3, curves=False, figures=False, random_state=0)\n"
        "b = run_rsa(rec, quick=True, figures=False, random_state=0, n_resamples=20,\n"
        "            n_permutations=20)\n"
        "from neurodl.encoding import run_encoding\n"
        "img = simulate_v1(30, 300, test_images=10, test_repeats=3, image_size=(16, 24),\n"
        "                  random_state=0)\n"
        "c = run_encoding(img, model='linear', figures=False, random_state=0, n_resamples=20)\n"
        "assert a.figures == {} and b.figures == {} and c.figures == {}\n"
        "assert c.data and c.kind == 'encoding'\n"
        "assert 'wall_seconds' in a.metrics and 'wall_seconds' in b.metrics\n"
        "print('matplotlib' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.strip() == "False"


def test_figures_are_drawn_later_from_the_result_numbers():
    import matplotlib.pyplot as plt

    from neurodl.data import simulate_v1
    from neurodl.decoding import run_decoding
    from neurodl.exceptions import NeurodlValueError

    rec = simulate_v1(40, 200, random_state=0)
    options = dict(decoder="linear", quick=True, folds=3, curves=False, random_state=0)
    drawn = run_decoding(rec, figures=True, **options)
    later = run_decoding(rec, figures=False, **options)
    assert later.figures == {}
    timeless = [
        {k: v for k, v in r.metrics.items() if k not in ("wall_seconds", "fit_seconds")}
        for r in (drawn, later)
    ]
    assert timeless[0] == timeless[1]
    figures = later.draw()
    assert figures is later.figures
    assert sorted(figures) == sorted(drawn.figures)
    for stem, fig in figures.items():
        ours, theirs = fig.axes[0], drawn.figures[stem].axes[0]
        assert ours.get_xlabel() == theirs.get_xlabel() and ours.get_xlabel()
        assert len(ours.lines) == len(theirs.lines)
        for a, b in zip(ours.lines, theirs.lines, strict=True):
            np.testing.assert_array_equal(a.get_xydata(), b.get_xydata())
    plt.close("all")
    with pytest.raises(NeurodlValueError, match="carries no figure data"):
        AnalysisResult({"x": 1.0}).draw()
