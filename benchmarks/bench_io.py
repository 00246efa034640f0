"""Time neurodl.save / neurodl.load per format and the lazy HDF5 subset read; print a table.

With ``--nwb-archive`` it instead writes one large archive-style NWB file (a dF/F
RoiResponseSeries of ``--frames`` x ``--rois`` float32 at 30 Hz, a trials table and a
``stimulus_presentations`` table mixing two stimulus names) and times ``load`` with the trials
table, and with the presentations table filtered by ``where`` (with and without ``window``).
The file is deleted afterwards.

Usage: python benchmarks/bench_io.py [--neurons N] [--trials T]
       python benchmarks/bench_io.py --nwb-archive [--frames F] [--rois R] [--dir DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from neurodl.data import Recording, load, save


def _recording(n_trials: int, n_neurons: int, seed: int = 0) -> Recording:
    rng = np.random.default_rng(seed)
    return Recording(
        rng.normal(size=(n_trials, n_neurons)).astype(np.float32),
        stimulus={
            "orientation": rng.uniform(0, 360, n_trials),
            "image_id": np.arange(n_trials) % 100,
        },
        images=rng.normal(size=(100, 48, 64)).astype(np.float32),
        neurons={
            "preferred_orientation": rng.uniform(0, 360, n_neurons),
            "position": rng.uniform(0, 64, (n_neurons, 2)),
            "cell_type": rng.choice(["simple", "complex", "untuned"], n_neurons),
        },
        meta={"source": "benchmark", "ground_truth": {"fisher_information": rng.random(360)}},
    )


def _timed(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    tracemalloc.start()
    start = time.perf_counter()
    out = func(*args, **kwargs)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, elapsed, peak / 2**20


def _add_dff(nwbfile, n_frames: int, n_rois: int) -> None:  # type: ignore[no-untyped-def]
    """processing/ophys/dff/traces at 30 Hz, written in blocks (never all in memory)."""
    from hdmf.data_utils import DataChunkIterator
    from pynwb.ophys import (
        DfOverF,
        ImageSegmentation,
        OpticalChannel,
        PlaneSegmentation,
        RoiResponseSeries,
    )

    rng = np.random.default_rng(0)

    def frames():  # type: ignore[no-untyped-def]
        for start in range(0, n_frames, 5000):
            yield from rng.standard_normal((min(5000, n_frames - start), n_rois), np.float32)

    plane = nwbfile.create_imaging_plane(
        name="plane",
        optical_channel=OpticalChannel(name="g", description="g", emission_lambda=520.0),
        description="p",
        device=nwbfile.create_device(name="2p"),
        excitation_lambda=910.0,
        indicator="GCaMP6f",
        location="VISp",
    )
    module = nwbfile.create_processing_module(name="ophys", description="2p")
    cells = PlaneSegmentation(name="cells", description="c", imaging_plane=plane)
    module.add(ImageSegmentation(plane_segmentations=[cells]))
    for i in range(n_rois):
        cells.add_roi(pixel_mask=[(i % 512, i // 512, 1.0)])
    data = DataChunkIterator(
        frames(), maxshape=(n_frames, n_rois), dtype=np.dtype(np.float32), buffer_size=5000
    )
    region = cells.create_roi_table_region(region=list(range(n_rois)), description="all")
    series = RoiResponseSeries(name="traces", data=data, rois=region, unit="NA", rate=30.0)
    module.add(DfOverF(name="dff", roi_response_series=[series]))


def _write_archive(path: Path, n_frames: int, n_rows: int, n_rois: int) -> None:
    """dF/F + a trials table and a stimulus_presentations table (the same rows, two stimuli)."""
    import datetime

    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.epoch import TimeIntervals

    nwbfile = NWBFile(
        session_description="bench",
        identifier="bench",
        session_start_time=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
    )
    _add_dff(nwbfile, n_frames, n_rois)
    starts = np.linspace(1.0, n_frames / 30.0 - 1.0, n_rows)
    names = np.where(np.arange(n_rows) // 500 % 2 == 0, "static_gratings", "natural_scenes")
    for table_name in ("trials", "stimulus_presentations"):
        table = TimeIntervals(name=table_name, description=table_name)
        table.add_column("stimulus_name", "stimulus")
        table.add_column("orientation", "degrees")
        for i in range(n_rows):
            table.add_interval(
                starts[i], starts[i] + 0.25, stimulus_name=names[i], orientation=30.0 * (i % 6)
            )
        if table_name == "trials":
            nwbfile.trials = table
        else:
            nwbfile.add_time_intervals(table)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)


def _bench_archive(args: argparse.Namespace) -> None:
    directory = Path(args.dir or tempfile.gettempdir())
    path = directory / "bench_archive.nwb"
    start = time.perf_counter()
    _write_archive(path, args.frames, args.rows, args.rois)
    size = path.stat().st_size
    print(
        f"NWB: dF/F {args.frames} frames x {args.rois} ROIs float32 at 30 Hz, {args.rows} rows of "
        f"0.25 s; file {size / 1e6:.0f} MB ({size / 2**20:.0f} MiB), written in "
        f"{time.perf_counter() - start:.1f} s"
    )
    cases = {
        "trials table (default)": {},
        "presentations + where": {
            "intervals": "stimulus_presentations",
            "where": {"stimulus_name": "static_gratings"},
        },
        "presentations + where + window": {
            "intervals": "stimulus_presentations",
            "where": {"stimulus_name": "static_gratings"},
            "window": (0.0, 0.5),
        },
    }
    print("load s: without tracemalloc; peak MB: a second load under tracemalloc")
    print(f"{'nwb load':<34}{'rows':>7}{'load s':>9}{'load peak MB':>14}")
    try:
        for label, options in cases.items():
            start = time.perf_counter()
            recording = load(path, **options)
            t_load = time.perf_counter() - start
            _, _, peak = _timed(load, path, **options)
            print(f"{label:<34}{recording.n_trials:>7}{t_load:>9.2f}{peak:>14.0f}")
    finally:
        if not args.keep:
            path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--neurons", type=int, default=20000)
    parser.add_argument("--trials", type=int, default=4000)
    parser.add_argument("--nwb-archive", action="store_true", help="the large NWB benchmark")
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--rois", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=6000)
    parser.add_argument("--dir", default=None, help="where to write the large file")
    parser.add_argument("--keep", action="store_true", help="keep the large file (debugging)")
    args = parser.parse_args()
    if args.nwb_archive:
        _bench_archive(args)
        return
    recording = _recording(args.trials, args.neurons)
    size_mb = recording.responses.nbytes / 2**20
    print(f"responses: {args.trials} trials x {args.neurons} neurons ({size_mb:.0f} MB float32)")
    print(f"{'format':<22}{'save s':>9}{'load s':>9}{'load peak MB':>14}{'file MB':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("rec.npz", "rec.h5", "rec.nwb"):
            path = Path(tmp) / name
            _, t_save, _ = _timed(save, recording, path)
            _, t_load, peak = _timed(load, path)
            mb = path.stat().st_size / 2**20
            print(f"{path.suffix:<22}{t_save:>9.2f}{t_load:>9.2f}{peak:>14.0f}{mb:>10.0f}")
        subsets = {
            "100 neurons": {"neurons": np.arange(0, args.neurons, args.neurons // 100)},
            "500 trials": {"trials": slice(1000, 1500)},
        }
        for suffix in (".h5", ".nwb"):
            path = Path(tmp) / f"rec{suffix}"
            for label, selection in subsets.items():
                _, t_load, peak = _timed(load, path, **selection)
                print(f"{suffix + ' ' + label:<22}{'':>9}{t_load:>9.2f}{peak:>14.0f}{'':>10}")


if __name__ == "__main__":
    main()
