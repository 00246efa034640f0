"""The candidates of a model comparison: trained networks, their untrained twins and controls.

A comparison with a recording (:func:`neurodl.rsa.run_rsa`) scores every candidate the same
way. Each candidate has one or more *instances* (the training seeds of a built-in network,
the random initialisations of an untrained twin, or one fixed network or control), and every
instance gives one pattern matrix (conditions x units) per layer.
"""

from __future__ import annotations

import copy
import io
import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from neurodl.exceptions import DataValueError, NeurodlTypeError, NeurodlValueError
from neurodl.rsa.controls import CONTROLS, compute_control_features
from neurodl.rsa.networks import BUILTIN_MODELS, default_layers, resolve_model
from neurodl.rsa.rdm import compute_rdm

__all__ = [
    "Candidate",
    "candidate_rdms",
    "derived_seeds",
    "make_candidates",
    "model_specs",
    "untrained_twin",
]

logger = logging.getLogger(__name__)

ModelSpec = str | Path | nn.Module


@dataclass
class Candidate:
    """One candidate representation and its instances.

    Attributes
    ----------
    name : str
        "tilt-cnn", a file name, a module's class name; "<model> (untrained)" for twins;
        "pixels" or "energy" for controls.
    role : {"model", "untrained", "control"}
    layers : list of str
        The layers (or steps) recorded from every instance.
    modules : list of nn.Module
        One per instance (empty for controls).
    seeds : list of int or None
        The training seed or initialisation seed of each instance (None: a fixed network).
    accuracy : list of float or None
        Held-out tilt-task accuracy per instance (None when not trained here).
    twin_of : str or None
        For an untrained twin, the name of its trained model.
    """

    name: str
    role: str
    layers: list[str]
    modules: list[nn.Module] = field(default_factory=list)
    seeds: list[int | None] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    twin_of: str | None = None


def model_specs(model: ModelSpec | Sequence[ModelSpec]) -> list[ModelSpec]:
    """``model`` as a list: one name, path or module, a list of them, or "a,b,c"."""
    if isinstance(model, (str, Path, nn.Module)):
        if isinstance(model, str) and "," in model:
            specs: list[ModelSpec] = [m.strip() for m in model.split(",") if m.strip()]
        else:
            specs = [model]
    else:
        specs = list(model)
    if not specs:
        raise NeurodlValueError("model must name at least one network; got an empty list.")
    for spec in specs:
        if not isinstance(spec, (str, Path, nn.Module)):
            raise NeurodlTypeError(
                f"model must be a built-in name, a path or an nn.Module (or a list of them); "
                f"got {type(spec).__name__}."
            )
        if isinstance(spec, str) and spec not in BUILTIN_MODELS and not Path(spec).is_file():
            names = ", ".join(repr(n) for n in sorted(BUILTIN_MODELS))
            raise NeurodlValueError(
                f"model {spec!r} is neither a built-in name ({names}) nor an existing file."
            )
    return specs


def derived_seeds(seed: int, stream: int, n: int) -> list[int]:
    """``n`` seeds derived from ``seed``: stream 0 (training) gives seed, seed + 1, ...; other
    streams (untrained initialisations) come from ``numpy.random.SeedSequence``."""
    if stream == 0:
        return [seed + k for k in range(n)]
    states = np.random.SeedSequence([seed, stream]).generate_state(n)
    return [int(s) % (2**31 - 1) for s in states]


def _unique_name(name: str, taken: set[str]) -> str:
    out, k = name, 2
    while out in taken:
        out, k = f"{name} #{k}", k + 1
    return out


def make_candidates(
    model: ModelSpec | Sequence[ModelSpec],
    *,
    layers: list[str] | None,
    image_size: tuple[int, int],
    quick: bool,
    random_state: int,
    n_seeds: int,
    n_untrained: int,
    controls: bool,
    device: str,
    allow_pickle: bool,
) -> list[Candidate]:
    """Train or load every model, build its untrained twins, and add the controls.

    Built-in names are trained ``n_seeds`` times (seeds ``random_state + k``); a module or a
    file is one fixed network. Each model gets ``n_untrained`` twins (same architecture, fresh
    initialisations, see :func:`untrained_twin`), listed right after it.
    """
    out: list[Candidate] = []
    taken: set[str] = set()
    for spec in model_specs(model):
        builtin = isinstance(spec, str) and spec in BUILTIN_MODELS
        seeds: list[int | None] = (
            list(derived_seeds(random_state, 0, n_seeds)) if builtin else [None]
        )
        modules, accuracy = [], []
        name = ""
        for s in seeds:
            module, name, acc = resolve_model(
                spec,
                image_size=image_size,
                quick=quick,
                random_state=random_state if s is None else s,
                device=device,
                allow_pickle=allow_pickle,
            )
            modules.append(module)
            accuracy.append(acc)
        name = _unique_name(Path(name).name if not builtin else name, taken)
        taken.add(name)
        chosen = default_layers(modules[0], layers)
        out.append(Candidate(name, "model", chosen, modules, seeds, accuracy))
        if n_untrained > 0:
            init_seeds = derived_seeds(random_state, 1 + len(out), n_untrained)
            twins = [untrained_twin(spec, modules[0], image_size, s) for s in init_seeds]
            out.append(
                Candidate(
                    f"{name} (untrained)",
                    "untrained",
                    chosen,
                    twins,
                    list(init_seeds),
                    [None] * n_untrained,
                    twin_of=name,
                )
            )
    if controls:
        for control in CONTROLS:
            out.append(Candidate(control, "control", [control], [], [None], [None]))
    return out


def untrained_twin(
    spec: ModelSpec, trained: nn.Module, image_size: tuple[int, int], random_state: int
) -> nn.Module:
    """The same architecture with fresh weights (seeded; the global torch state is unchanged).

    A built-in name gives the network exactly as its training starts
    (:func:`neurodl.rsa.tilt.make_tilt_network` with another seed: random weights, and for
    the CNN-based networks the curriculum's filter bank as the first layer's starting point).
    Any other network is copied and every submodule with ``reset_parameters`` (torch's
    layers) is re-initialised; in a TorchScript module, which has no such methods, every
    weight of dimension >= 2 is drawn like torch's default (Kaiming uniform, a = sqrt(5)) and
    its bias uniformly in +-1/sqrt(fan_in); 1-D weights (normalisation layers) are kept.
    """
    if isinstance(spec, str) and spec in BUILTIN_MODELS:
        from neurodl.rsa.tilt import make_tilt_network

        return make_tilt_network(BUILTIN_MODELS[spec], image_size, random_state=random_state)
    if isinstance(trained, torch.jit.ScriptModule):
        # a deep copy of a ScriptModule has non-leaf parameters: copy through its own format
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.jit.save(trained, buffer)
            buffer.seek(0)
            twin = torch.jit.load(buffer, map_location="cpu")
    else:
        twin = copy.deepcopy(trained)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(random_state)
        if isinstance(twin, torch.jit.ScriptModule):
            _reinit_scripted(twin)
        else:
            for sub in twin.modules():
                reset = getattr(sub, "reset_parameters", None)
                if callable(reset):
                    reset()
    return twin


def _reinit_scripted(module: nn.Module) -> None:
    """torch's default initialisation for every weight (dim >= 2) and its bias."""
    for sub in module.modules():
        params = dict(sub.named_parameters(recurse=False))
        weight = params.get("weight")
        if weight is None or weight.dim() < 2:
            continue
        nn.init.kaiming_uniform_(weight, a=math.sqrt(5))
        bias = params.get("bias")
        if bias is not None:
            fan_in = weight.shape[1] * int(np.prod(weight.shape[2:]))
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            nn.init.uniform_(bias, -bound, bound)


def candidate_patterns(
    candidate: Candidate,
    images: NDArray[np.float32],
    weights: Any,
    device: str,
) -> list[dict[str, NDArray[np.float64]]]:
    """Condition-mean patterns per layer of each instance of ``candidate``.

    ``weights`` (conditions x images) averages the images' activations per condition.
    """
    from neurodl.rsa.activations import extract_activations

    if candidate.role == "control":
        features = compute_control_features(candidate.name, images)
        return [{candidate.name: np.asarray(weights @ features, dtype=np.float64)}]
    out = []
    for module in candidate.modules:
        acts = extract_activations(module, images, candidate.layers, device=device)
        out.append({n: np.asarray(weights @ a, dtype=np.float64) for n, a in acts.items()})
    return out


def candidate_rdms(
    candidates: list[Candidate],
    stimuli: tuple[NDArray[np.float32], NDArray[np.intp], NDArray[np.intp], int],
    method: str,
    device: str,
) -> tuple[
    list[Candidate],
    list[list[dict[str, NDArray[np.float64]]]],
    list[NDArray[np.float64]],
    list[str],
]:
    """Every candidate's condition patterns and RDMs.

    Returns the candidates kept, their patterns (per candidate, per instance, per layer), one stack
    of RDMs (n_instances, n_layers, n, n) per candidate, and the skipped ``"name:layer"``
    entries: layers whose RDM is undefined (constant patterns) in any instance. A model
    left without layers is an error; a twin or control without layers is dropped.
    """
    images, image_of_trial, index, n_cond = stimuli
    counts = np.bincount(index, minlength=n_cond).astype(np.float64)
    # condition means of the activations as a weighting of the unique images (dense: a few
    # conditions x the images, a BLAS product with each layer)
    weights = np.zeros((n_cond, images.shape[0]), dtype=np.float32)
    np.add.at(weights, (index, image_of_trial), (1.0 / counts[index]).astype(np.float32))
    kept: list[Candidate] = []
    stacks: list[NDArray[np.float64]] = []
    skipped: list[str] = []
    kept_patterns: list[list[dict[str, NDArray[np.float64]]]] = []
    for cand in candidates:
        patterns = candidate_patterns(cand, images, weights, device)
        rdms = [{k: compute_rdm(v, method=method) for k, v in p.items()} for p in patterns]
        bad = [k for k in cand.layers if any(not np.all(np.isfinite(r[k])) for r in rdms)]
        good = [k for k in cand.layers if k not in bad]
        skipped += [f"{cand.name}:{k}" if cand.role != "model" or len(kept) else k for k in bad]
        if bad:
            logger.warning(
                "%s: layers %s skipped: their %s RDM is undefined", cand.name, bad, method
            )
        if not good:
            if cand.role == "model":
                raise DataValueError(
                    f"no layer of {cand.name} gives a defined {method} RDM (every layer has "
                    "constant patterns); choose other layers or another rdm method."
                )
            continue
        cand.layers = good
        kept_patterns.append([{k: p[k] for k in good} for p in patterns])
        kept.append(cand)
        stacks.append(np.stack([np.stack([r[k] for k in good]) for r in rdms]))
    return kept, kept_patterns, stacks, skipped
