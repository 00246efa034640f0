"""Load your own recording, check it, and save it in neurodl's canonical format.

Run: python examples/load_your_file.py [FILE]   (without FILE it writes and reads a small example)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

import neurodl
from neurodl.data.tuning import compute_preferred_orientation


def main(argv: list[str]) -> None:
    if argv:
        path = Path(argv[0])
    else:
        # a curriculum-style file: trial-averaged responses at 1° steps
        rng = np.random.default_rng(0)
        stimuli = np.arange(360.0)
        preferred = rng.uniform(0, 360, 50)
        resp = np.exp(np.cos(np.deg2rad(stimuli[:, None] - preferred)))
        resp += 0.2 * rng.standard_normal(resp.shape)
        path = Path(tempfile.mkdtemp()) / "curriculum.npz"
        np.savez(path, resp=resp, stimuli=stimuli)

    recording = neurodl.load(path)  # add allow_pickle=True only for files you trust
    print(recording)
    for key, value in recording.summary().items():
        print(f"  {key}: {value}")

    # z-score each neuron and keep the best-tuned half
    z = recording.zscore()
    _, strength = compute_preferred_orientation(z.responses, z.orientation)
    best = z.select(neurons=np.argsort(strength)[::-1][: z.n_neurons // 2])
    out = path.with_name(path.stem + "_best.h5")
    neurodl.save(best, out)
    print(f"wrote {neurodl.load(out)} to {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
