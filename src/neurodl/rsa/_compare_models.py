"""Scores of every candidate of ``run_rsa``: per layer, held out, and differences between them."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurodl.rsa._utils import rdm_to_vector
from neurodl.rsa.candidates import Candidate
from neurodl.rsa.comparison import (
    HeldOutChoice,
    choose_layer_held_out,
    holm_adjust,
    seed_difference_test,
)
from neurodl.rsa.inference import BootstrapResult, percentile_interval

F64 = NDArray[np.float64]


@dataclass
class Scored:
    """Everything measured for one candidate (instances along the first axis)."""

    candidate: Candidate
    layers: list[str]
    similarity: F64  # (n_inst, L)
    samples: F64  # (R, n_inst, L)
    null: F64  # (P, n_inst, L)
    held_out: F64  # (n_inst,)
    held_out_samples: F64  # (R, n_inst)
    choices: NDArray[np.intp]  # (n_inst, 2 * n_splits)


def _mean_over_instances(samples: F64) -> F64:
    """Mean over the instance axis (1), NaN where a resample is undefined for all of them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(np.nanmean(samples, axis=1))


def _num(x: Any) -> float | None:
    value = float(x)
    return value if np.isfinite(value) else None


def score_candidates(
    candidates: list[Candidate],
    rdms: list[F64],
    split: F64,
    *,
    bootstrap: Callable[[F64], BootstrapResult],
    null: F64,
    counts: F64,
    method: str,
    n_splits: int,
    random_state: int,
) -> tuple[list[Scored], HeldOutChoice, F64]:
    """Per-layer statistics and held-out scores of every candidate, and the noise ceiling.

    ``rdms[c]`` has shape (n_instances, n_layers, n, n); ``null`` is the permutation null of
    all layers of all instances, in that order (P, total); ``bootstrap`` evaluates a stack of
    RDMs on the shared resamples; ``counts`` are the condition counts of the held-out
    bootstrap (row 0 the data).
    """
    n = split.shape[1]
    groups = [rdm_to_vector(inst) for stack in rdms for inst in stack]
    held = choose_layer_held_out(
        groups,
        rdm_to_vector(split),
        n,
        method=method,
        counts=counts,
        n_splits=n_splits,
        random_state=random_state,
    )
    scored: list[Scored] = []
    g, col = 0, 0
    ceiling = np.full(2, np.nan)
    for cand, stack in zip(candidates, rdms, strict=True):
        n_inst, n_layers = stack.shape[:2]
        boots = [bootstrap(inst) for inst in stack]
        if not scored:
            ceiling = boots[0].noise_ceiling
        scored.append(
            Scored(
                candidate=cand,
                layers=list(cand.layers),
                similarity=np.stack([b.similarity for b in boots]),
                samples=np.stack([b.samples for b in boots], axis=1),
                null=null[:, col : col + n_inst * n_layers].reshape(-1, n_inst, n_layers),
                held_out=np.array([held.scores[g + i][0] for i in range(n_inst)]),
                held_out_samples=np.stack([held.scores[g + i][1:] for i in range(n_inst)], 1),
                choices=np.stack([held.choices[g + i] for i in range(n_inst)]),
            )
        )
        g, col = g + n_inst, col + n_inst * n_layers
    return scored, held, ceiling


def _spread(values: F64) -> dict[str, Any]:
    """Mean, standard deviation (ddof 1), minimum, maximum and the values themselves."""
    v = np.asarray(values, dtype=np.float64)
    return {
        "mean": _num(v.mean()),
        "sd": _num(v.std(ddof=1)) if v.size > 1 else None,
        "min": _num(v.min()),
        "max": _num(v.max()),
        "values": [_num(x) for x in v],
    }


def layer_entries(s: Scored, confidence_level: float) -> dict[str, dict[str, Any]]:
    """Per layer: the mean over instances with its bootstrap CI and permutation p."""
    mean = s.similarity.mean(axis=0)
    low, high = percentile_interval(_mean_over_instances(s.samples), confidence_level)
    null = s.null.mean(axis=1)
    p = (1.0 + (null >= mean[None] - 1e-12).sum(axis=0)) / (1.0 + null.shape[0])
    return {
        name: {
            "similarity": _num(mean[j]),
            "similarity_ci_low": _num(low[j]),
            "similarity_ci_high": _num(high[j]),
            "p_value": _num(p[j]),
            "similarity_per_instance": [_num(x) for x in s.similarity[:, j]],
            "similarity_sd": _num(s.similarity[:, j].std(ddof=1))
            if s.similarity.shape[0] > 1
            else None,
        }
        for j, name in enumerate(s.layers)
    }


def candidate_entry(s: Scored, confidence_level: float) -> dict[str, Any]:
    """The metrics of one candidate: layers, naive best, held-out choice and score."""
    layers = layer_entries(s, confidence_level)
    mean = s.similarity.mean(axis=0)
    naive = int(np.nanargmax(mean)) if np.isfinite(mean).any() else 0
    votes = Counter(s.layers[c] for c in s.choices.ravel())
    chosen, count = votes.most_common(1)[0]
    low, high = percentile_interval(
        _mean_over_instances(s.held_out_samples)[:, None], confidence_level
    )
    cand = s.candidate
    accuracy = [a for a in cand.accuracy if a is not None]
    return {
        "role": cand.role,
        "n_instances": len(cand.seeds),
        "seeds": list(cand.seeds),
        "task_accuracy": _spread(np.array(accuracy)) if accuracy else None,
        "layers": layers,
        "naive_best_layer": s.layers[naive],
        "naive_best_similarity": _num(mean[naive]),
        "naive_best_note": "max over layers on the same data: biased upwards",
        "chosen_layer": chosen,
        "chosen_layer_fraction": round(count / s.choices.size, 3),
        "held_out_similarity": _num(s.held_out.mean()),
        "held_out_similarity_ci_low": _num(low[0]),
        "held_out_similarity_ci_high": _num(high[0]),
        "held_out_per_instance": _spread(s.held_out),
    }


def _difference(a: Scored, b: Scored) -> dict[str, Any]:
    return seed_difference_test(a.held_out, b.held_out, a.held_out_samples, b.held_out_samples)


def build_sections(
    scored: list[Scored], held: HeldOutChoice, confidence_level: float
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The ``models`` and ``controls`` metrics sections, and the sentences saying what differs.

    Each model's ``differences`` compare its held-out score with every other model's, its
    untrained twin's and each control's (:func:`~neurodl.rsa.comparison.seed_difference_test`);
    the model-versus-model p-values are also Holm-adjusted over that family.
    """
    by_name = {s.candidate.name: s for s in scored}
    models = [s for s in scored if s.candidate.role == "model"]
    controls = [s for s in scored if s.candidate.role == "control"]
    out_models: dict[str, Any] = {}
    family: list[tuple[str, str]] = []
    for s in models:
        entry = candidate_entry(s, confidence_level)
        twin = by_name.get(f"{s.candidate.name} (untrained)")
        entry["untrained"] = candidate_entry(twin, confidence_level) if twin else None
        diffs: dict[str, Any] = {}
        for other in models:
            if other is not s:
                diffs[other.candidate.name] = _difference(s, other)
                family.append((s.candidate.name, other.candidate.name))
        if twin is not None:
            diffs["untrained"] = _difference(s, twin)
        for c in controls:
            diffs[c.candidate.name] = _difference(s, c)
        entry["differences"] = diffs
        out_models[s.candidate.name] = entry
    _holm(out_models, family)
    out_controls = {c.candidate.name: candidate_entry(c, confidence_level) for c in controls}
    return out_models, out_controls, _verdicts(out_models, 1 - confidence_level)


def _holm(models: dict[str, Any], family: list[tuple[str, str]]) -> None:
    pairs = [(a, b) for a, b in family if a < b]
    adjusted = holm_adjust([models[a]["differences"][b]["p_value"] for a, b in pairs])
    for (a, b), p in zip(pairs, adjusted, strict=True):
        models[a]["differences"][b]["p_value_holm"] = p
        models[b]["differences"][a]["p_value_holm"] = p


def _verdicts(models: dict[str, Any], alpha: float) -> list[str]:
    """Plain sentences: which model beats which, against seeds and data noise."""
    out = []
    names = list(models)

    def differs(a: str, b: str) -> bool:
        return (models[a]["differences"][b].get("p_value_holm") or 1.0) < alpha

    some = any(differs(a, b) for a in names for b in names if a != b)
    if len(names) > 1 and not some:
        out.append(
            f"No model differs from another ({', '.join(names)}) by more than the spread over "
            f"seeds and the data's sampling allow (Holm-adjusted p >= {alpha:g} for every pair)."
        )
    for a in names:
        entry = models[a]
        differing = [b for b in names if b != a and differs(a, b)]
        if some and not differing:
            out.append(
                f"No model differs from {a} by more than the spread over seeds and the data's "
                f"sampling allow (Holm-adjusted p >= {alpha:g})."
            )
        above = [b for b in differing if (entry["differences"][b]["difference"] or 0.0) > 0]
        if above:
            out.append(f"{a} scores above {', '.join(above)} (Holm-adjusted p < {alpha:g}).")
        twin = entry["differences"].get("untrained")
        if twin and twin["p_value"] is not None:
            verdict = "differs from" if twin["p_value"] < alpha else "does not differ from"
            out.append(
                f"{a} {verdict} its untrained twin (held-out difference "
                f"{twin['difference']:+.3f}, p = {twin['p_value']:.2g})."
            )
    return out
