"""``neurodl pose train`` and ``neurodl pose detect``: keypoints from labelled frames to videos.

:func:`register` adds both commands to a typer app (the ``neurodl pose`` group).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from neurodl.cli._common import cli_errors, output_dir

__all__ = ["detect", "register", "train"]


def train(
    labels: Path = typer.Argument(
        ..., help="Labelled frames: a COCO keypoint .json or a DeepLabCut .csv (images beside it)."
    ),
    output: Path = typer.Option(..., "-o", "--output", help="Model directory to write."),
    epochs: int | None = typer.Option(
        None, "--epochs", min=1, help="Epochs at most (default: the detector's, with early stop)."
    ),
    device: str = typer.Option("cpu", "--device", help="'cpu', 'cuda', 'cuda:N', 'mps' or 'auto'."),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed."),
) -> None:
    """Train a keypoint detector on labelled frames; write the model and its held-out errors."""
    from neurodl.files import atomic_directory, save_figure, write_json, write_manifest
    from neurodl.pose.detector import KeypointDetector
    from neurodl.pose.labels import read_labels

    started = time.time()
    with cli_errors():
        pose_labels = read_labels(labels)
        images = pose_labels.load_images()
        detector = KeypointDetector(
            keypoint_names=pose_labels.names, device=device, random_state=seed, verbose=1
        )
        if epochs is not None:
            detector.set_params(max_iter=epochs)
        detector.fit(images, pose_labels.keypoints)
        summary, figure = _held_out(detector, images, pose_labels.keypoints)
        with atomic_directory(output) as folder:
            detector.save(folder, skeleton=pose_labels.skeleton)
            write_json(folder / "metrics.json", summary)
            outputs = ["config.json", "weights.pt", "metrics.json", "manifest.json"]
            if figure is not None:
                save_figure(figure, folder / "keypoint_errors.png")
                outputs.append("keypoint_errors.png")
            write_manifest(
                folder,
                command="pose train",
                parameters={"labels": str(labels), **detector.get_params()},
                seed=seed,
                started=started,
                device=str(detector.device_),
                outputs=outputs,
            )
    typer.echo(
        f"trained on {len(images)} frames, {detector.n_keypoints_} keypoints, "
        f"{detector.n_iter_} epochs; held-out PCK@0.2 {summary.get('pck', float('nan')):.3f}, "
        f"median error {summary.get('median_error_px', float('nan')):.2f} px"
    )
    typer.echo(f"wrote the model to {output}")


def _held_out(detector, images, keypoints):  # type: ignore[no-untyped-def]
    """Errors on the frames held out for early stopping (optimistic: they chose the epoch)."""
    import numpy as np

    from neurodl.exceptions import DataValueError
    from neurodl.metrics.pose import keypoint_errors, pose_error_summary

    held = detector.validation_indices_
    if held is None:
        return {"note": "fewer than 10 frames: nothing held out"}, None
    predicted, _ = detector.predict(images[held])
    try:
        summary = pose_error_summary(keypoints[held], predicted, detector.keypoint_names_)
    except DataValueError:  # no shoulders/hips: no torso length, report pixel errors only
        errors = keypoint_errors(keypoints[held], predicted)
        summary = {"median_error_px": float(np.nanmedian(errors[np.isfinite(errors)]))}
        return {**summary, "n_held_out": len(held)}, None
    summary["n_held_out"] = len(held)
    summary["note"] = "frames held out for early stopping (they chose the epoch)"
    from neurodl.plotting.pose_video import plot_keypoint_errors

    reference = 0.2 * summary["torso_length_px"]
    axes = plot_keypoint_errors(summary["per_keypoint"], reference=reference)
    return summary, axes.figure


def _detect_one(detector, video_path: Path, folder: Path, annotate: bool, batch_size: int) -> int:  # type: ignore[no-untyped-def]
    import numpy as np
    from tqdm.auto import tqdm

    from neurodl.pose.labels import write_dlc_predictions
    from neurodl.pose.video import annotate_video, iter_batches, open_video

    points, confidence = [], []
    with open_video(video_path) as video:
        bar = tqdm(
            total=video.n_frames or None,
            desc=video_path.name,
            unit="frame",
            leave=False,
            disable=not sys.stderr.isatty(),
        )
        for batch in iter_batches(video, batch_size):
            p, c = detector.predict(batch, batch_size=batch_size)
            points.append(p)
            confidence.append(c)
            bar.update(len(batch))
        bar.close()
    if not points:
        from neurodl.exceptions import DataFormatError

        raise DataFormatError(f"video {str(video_path)!r} holds no frames.")
    keypoints, likelihood = np.concatenate(points), np.concatenate(confidence)
    write_dlc_predictions(
        folder / f"{video_path.stem}.csv", keypoints, likelihood, detector.keypoint_names_
    )
    if annotate:
        annotate_video(
            video_path,
            keypoints,
            folder / f"{video_path.stem}_annotated.mp4",
            skeleton=detector.skeleton_,
            confidence=likelihood,
        )
    return len(keypoints)


def detect(
    videos: list[Path] = typer.Argument(..., help="Videos (.mp4, .avi, .mov) or image folders."),
    model: Path = typer.Option(..., "--model", help="Model directory from 'neurodl pose train'."),
    output: Path = typer.Option(..., "-o", "--output", help="Directory for the CSV files."),
    annotate: bool = typer.Option(
        False, "--annotate", help="Also write <stem>_annotated.mp4 with the keypoints drawn."
    ),
    device: str = typer.Option("cpu", "--device", help="'cpu', 'cuda', 'cuda:N', 'mps' or 'auto'."),
    batch_size: int = typer.Option(64, "--batch-size", min=1, help="Frames per forward pass."),
) -> None:
    """Track keypoints in every frame; write one DeepLabCut-format CSV per video (<stem>.csv)."""
    from neurodl.exceptions import NeurodlValueError
    from neurodl.files import write_manifest
    from neurodl.pose.detector import KeypointDetector

    started = time.time()
    with cli_errors():
        stems = [v.stem for v in videos]
        if len(set(stems)) != len(stems):
            raise NeurodlValueError(f"videos must have distinct names (stems); got {stems}.")
        detector = KeypointDetector.load(model, device=device)
        folder = output_dir(output)
        outputs = []
        for video in videos:
            n = _detect_one(detector, video, folder, annotate, batch_size)
            outputs.append(f"{video.stem}.csv")
            typer.echo(f"{video}: {n} frames -> {folder / (video.stem + '.csv')}")
        write_manifest(
            folder,
            command="pose detect",
            parameters={
                "videos": [str(v) for v in videos],
                "model": str(model),
                "annotate": annotate,
                "batch_size": batch_size,
            },
            seed=None,
            started=started,
            device=str(detector.device_),
            outputs=outputs,
        )


def register(pose_app: typer.Typer) -> None:
    """Add ``train`` and ``detect`` to ``pose_app`` (the ``neurodl pose`` group)."""
    pose_app.command("train")(train)
    pose_app.command("detect")(detect)
