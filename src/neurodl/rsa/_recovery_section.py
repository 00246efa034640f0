"""``run_rsa(recovery=True)``: model recovery over the candidates that the comparison scored."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurodl.rsa._compare_models import Scored, candidate_entry
from neurodl.rsa.candidates import Candidate

__all__ = ["closest_setting", "recovery_section", "recovery_sentence"]


def recovery_section(
    candidates: list[Candidate],
    patterns: list[list[dict[str, NDArray[np.float64]]]],
    scored: list[Scored],
    index: NDArray[np.intp],
    *,
    rdm: str,
    compare: str,
    quick: bool,
    confidence_level: float,
    random_state: int,
) -> dict[str, Any] | None:
    """Model recovery (:func:`neurodl.rsa.model_recovery`) over the models and controls.

    Each model is represented by its held-out chosen layer in its first instance (seed), each
    control by its features; the patterns are the condition means that ``run_rsa`` compared.
    Simulated recordings have as many trials per condition as the recording's fewest (2 to
    10); neuron counts 50 and 200 (and noise levels 0.5, 1, 2) as ``model_recovery``'s
    defaults, with 20 simulations per setting (10 with ``quick``). None when fewer than two
    candidates remain.
    """
    from neurodl.rsa.recovery import model_recovery

    arrays: dict[str, NDArray[np.float64]] = {}
    layers: dict[str, str] = {}
    for cand, pats, s in zip(candidates, patterns, scored, strict=True):
        if cand.role == "untrained":
            continue
        layer = candidate_entry(s, confidence_level)["chosen_layer"]
        arrays[cand.name] = pats[0][layer]
        layers[cand.name] = layer
    if len(arrays) < 2:
        return None
    repeats = int(np.clip(np.bincount(index).min(), 4 if rdm == "crossnobis" else 2, 10))
    result = model_recovery(
        arrays,
        n_simulations=10 if quick else 20,
        n_repeats=repeats,
        rdm=rdm,
        compare=compare,
        confidence_level=confidence_level,
        random_state=random_state,
    )
    out = result.to_dict()
    out["settings"]["layers"] = layers
    return out


def closest_setting(rec: dict[str, Any], data_ceiling: float | None) -> tuple[int, int]:
    """The (noise level, neuron count) whose simulated ceiling is nearest the data's."""
    ceiling = np.asarray(rec["noise_ceiling"], dtype=np.float64)
    if data_ceiling is None or not np.isfinite(ceiling).any():
        return ceiling.shape[0] // 2, ceiling.shape[1] - 1
    flat = int(np.nanargmin(np.abs(ceiling - data_ceiling)))
    i, j = np.unravel_index(flat, ceiling.shape)
    return int(i), int(j)


def recovery_sentence(rec: dict[str, Any], data_ceiling: float | None) -> str:
    """Recovery accuracy at the simulated setting most like the data."""
    i, j = closest_setting(rec, data_ceiling)
    acc = rec["accuracy"][i][j]
    low, high = rec["accuracy_ci_low"][i][j], rec["accuracy_ci_high"][i][j]
    return (
        f"Model recovery ({', '.join(rec['model_names'])}): for recordings simulated at noise "
        f"level {rec['noise_levels'][i]:g} with {rec['n_neurons'][j]} neurons (simulated noise "
        f"ceiling {rec['noise_ceiling'][i][j]:.3f}, the closest to the data's), the comparison "
        f"picked the generating model in {acc:.0%} of simulations ({rec['confidence_level']:.0%} "
        f"CI {low:.0%} to {high:.0%}; chance {rec['chance']:.0%})."
    )
