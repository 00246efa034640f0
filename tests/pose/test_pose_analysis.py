"""run_movement_risk end to end on simulated infants (AUC threshold from a 10-seed sweep of this
fixture with the default Gaussian model: min 0.975; shrinkage model min 0.93)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from neurodl.exceptions import DataValueError, NeurodlTypeError, NeurodlValueError
from neurodl.pose import simulate_infant_movements
from neurodl.pose.analysis import run_movement_risk


@pytest.fixture(scope="module")
def poses():
    return simulate_infant_movements(
        30, atypical_fraction=1 / 3, severity=1.0, duration=20.0, random_state=0
    )


def test_run_movement_risk_scores_validates_and_saves(poses, tmp_path):
    result = run_movement_risk(poses, n_resamples=200, random_state=0)
    m = result.metrics
    assert m["roc_auc"] > 0.9 and m["roc_auc_ci_low"] <= m["roc_auc"] <= m["roc_auc_ci_high"]
    assert m["n_infants"] == 30 and m["n_reference"] == 10 and m["confidence_level"] == 0.95
    for key in ("pr_auc", "sensitivity_at_90_specificity", "roc_auc_permutation_p", "wall_seconds"):
        assert key in m
    assert {"skeleton", "features_vs_reference", "roc", "surprise_by_group"} <= set(result.figures)
    rows = {r["infant"]: r for r in result.scores}
    assert len(rows) == 30 and len(result.features[0]) == 33
    atypical = [r["surprise"] for r in rows.values() if r["label"] == 1]
    typical = [r["surprise"] for r in rows.values() if r["label"] == 0]
    assert np.median(atypical) > np.median(typical)
    assert all(0 < r["p_value"] <= 1 for r in rows.values())
    out = tmp_path / "out"
    files = result.save(out)
    assert {"scores.csv", "features.csv", "metrics.json", "report.html", "roc.png"} <= set(files)
    assert json.loads((out / "metrics.json").read_text())["roc_auc"] == pytest.approx(m["roc_auc"])
    header = (out / "scores.csv").read_text().splitlines()[0]
    assert header.startswith("infant,group,age_weeks,label,videos,surprise,z,p_value,top_features")


def test_same_seed_same_numbers_and_shrinkage_model(poses):
    a = run_movement_risk(poses, model="shrinkage", n_resamples=50, random_state=3, figures=False)
    b = run_movement_risk(poses, model="shrinkage", n_resamples=50, random_state=3, figures=False)
    assert a.metrics["roc_auc_ci_low"] == b.metrics["roc_auc_ci_low"] and not a.figures
    assert a.parameters["model"] == "shrinkage"


def test_bad_inputs(poses):
    with pytest.raises(NeurodlValueError, match="model must be one of"):
        run_movement_risk(poses, model="knn")
    with pytest.raises(NeurodlTypeError, match="manifest path or a non-empty list"):
        run_movement_risk([1, 2])
    no_group = [p.with_positions(p.positions, group=None) for p in poses[:4]]
    with pytest.raises(DataValueError, match="group must be 'reference' or 'test'"):
        run_movement_risk(no_group)


def test_figures_false_imports_no_matplotlib():
    code = (
        "import sys; from neurodl.pose import simulate_infant_movements as s;"
        "from neurodl.pose.analysis import run_movement_risk as r;"
        "r(s(8, atypical_fraction=0.25, duration=4.0, random_state=0), n_resamples=20,"
        " figures=False);"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
