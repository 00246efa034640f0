"""The demo's Movement section on simulated infants."""

from __future__ import annotations

from neurodl.demo import _movement_section


def test_movement_section_has_numbers_and_figures():
    section, metrics = _movement_section(seed=0, quick=True)
    assert section.title == "Movement"
    assert [row[0] for row in section.rows][:2] == ["Infants", "ROC AUC"]
    assert 0.5 < metrics["roc_auc"] <= 1.0 and metrics["n_reference"] == 14
    assert {"roc", "skeleton"} <= set(section.figures)
