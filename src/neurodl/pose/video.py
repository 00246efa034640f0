"""Video in and out, one frame at a time: ``.mp4``/``.avi``/``.mov`` files and folders of images.

Frames are RGB ``uint8`` arrays of shape (height, width, 3). Reading keeps one frame in memory at a
time (PyAV decodes with FFmpeg shipped inside its wheel); writing encodes frame by frame to a
temporary file that replaces the target only when complete.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "clip.mp4"
>>> write_video(path, np.zeros((5, 32, 48, 3), np.uint8), fps=25)
>>> with open_video(path) as video:
...     (video.n_frames, video.height, video.width, float(video.fps))
(5, 32, 48, 25.0)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from neurodl.exceptions import DataFormatError, DataValueError, NeurodlValueError
from neurodl.files import atomic_path
from neurodl.pose._raster import draw_skeleton

__all__ = [
    "IMAGE_SUFFIXES",
    "VIDEO_SUFFIXES",
    "VideoReader",
    "VideoWriter",
    "annotate_video",
    "iter_batches",
    "open_video",
    "read_image",
    "read_video",
    "write_video",
]

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def read_image(path: Path) -> np.ndarray:
    """One image file as an RGB uint8 array of shape (height, width, 3)."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except FileNotFoundError:
        raise DataFormatError(f"image {str(path)!r} does not exist.") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise DataFormatError(f"image {str(path)!r} cannot be read: {exc}.") from None


class VideoReader:
    """Frames of a video file or of an image folder (files sorted by name), read lazily.

    Parameters
    ----------
    path : path
        A video file (``.mp4``, ``.avi``, ``.mov``, ``.mkv``) or a folder of images.
    fps : float, optional
        Frame rate of an image folder (default 30); ignored for video files, whose rate is read.

    Attributes
    ----------
    fps : float
    n_frames : int
        Frames in the file (from the container; exact for image folders and for files neurodl
        wrote, an estimate from the duration for files whose header lacks it).
    height, width : int
    """

    def __init__(self, path: Path | str, *, fps: float | None = None) -> None:
        self.path = Path(path)
        self._container: Any = None
        self._files: list[Path] = []
        if self.path.is_dir():
            self._open_folder(fps)
        elif not self.path.exists():
            raise DataFormatError(f"video {str(self.path)!r} does not exist.")
        else:
            self._open_file()

    def _open_folder(self, fps: float | None) -> None:
        self._files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self._files:
            raise DataFormatError(
                f"folder {str(self.path)!r} holds no images ({', '.join(IMAGE_SUFFIXES)})."
            )
        first = read_image(self._files[0])
        self.height, self.width = first.shape[:2]
        self.fps = 30.0 if fps is None else float(fps)
        self.n_frames = len(self._files)

    def _open_file(self) -> None:
        import av

        try:
            self._container = av.open(str(self.path))
        except (av.error.FFmpegError, UnicodeDecodeError) as exc:
            raise DataFormatError(
                f"video {str(self.path)!r} cannot be read (not a video or corrupt): {exc}."
            ) from None
        if not self._container.streams.video:
            self._container.close()
            raise DataFormatError(f"video {str(self.path)!r} holds no video stream.")
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate
        self.fps = float(rate) if rate else 30.0
        self.height, self.width = int(stream.height), int(stream.width)
        n = int(stream.frames or 0)
        if n <= 0 and stream.duration is not None and stream.time_base is not None:
            n = round(float(stream.duration * stream.time_base) * self.fps)
        self.n_frames = n
        if self.height <= 0 or self.width <= 0:
            self._container.close()
            raise DataFormatError(f"video {str(self.path)!r} has no frame size (corrupt).")

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._files:
            for file in self._files:
                frame = read_image(file)
                if frame.shape[:2] != (self.height, self.width):
                    raise DataValueError(
                        f"image {str(file)!r} is {frame.shape[1]}x{frame.shape[0]}; the folder's "
                        f"first image is {self.width}x{self.height}."
                    )
                yield frame
            return
        import av

        self._container.seek(0)
        try:
            for frame in self._container.decode(video=0):
                yield frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as exc:
            raise DataFormatError(f"video {str(self.path)!r} is corrupt: {exc}.") from None

    def close(self) -> None:
        """Release the file."""
        if self._container is not None:
            self._container.close()
            self._container = None

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_video(path: Path | str, *, fps: float | None = None) -> VideoReader:
    """Open a video file or an image folder to read frame by frame (see :class:`VideoReader`)."""
    return VideoReader(path, fps=fps)


def read_video(path: Path | str, *, max_frames: int | None = None) -> np.ndarray:
    """All frames (or the first ``max_frames``) as one array of shape (n, height, width, 3)."""
    with open_video(path) as video:
        frames = []
        for i, frame in enumerate(video):
            if max_frames is not None and i >= max_frames:
                break
            frames.append(frame)
    if not frames:
        raise DataFormatError(f"video {str(path)!r} holds no frames.")
    return np.stack(frames)


def iter_batches(frames: Iterable[np.ndarray], batch_size: int) -> Iterator[np.ndarray]:
    """Group frames into arrays of ``batch_size`` frames (the last may be shorter)."""
    batch: list[np.ndarray] = []
    for frame in frames:
        batch.append(frame)
        if len(batch) == batch_size:
            yield np.stack(batch)
            batch = []
    if batch:
        yield np.stack(batch)


def _codec_for(path: Path, codec: str | None) -> str:
    import av

    if codec is not None:
        return codec
    suffix = path.suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise NeurodlValueError(
            f"video output must end in one of {VIDEO_SUFFIXES}; got {str(path)!r}."
        )
    if suffix in (".mp4", ".mov", ".mkv") and "libx264" in av.codecs_available:
        return "libx264"
    return "mpeg4"


class VideoWriter:
    """Write RGB uint8 frames to a video file, atomically (the file appears when closed).

    Parameters
    ----------
    path : path
        ``.mp4``, ``.mov``, ``.mkv`` (H.264 when available, else MPEG-4) or ``.avi`` (MPEG-4).
    fps : float
    quality : int
        H.264 constant rate factor (0 lossless, 18 visually lossless, 23 FFmpeg's default).
    """

    def __init__(
        self, path: Path | str, fps: float, *, codec: str | None = None, quality: int = 18
    ) -> None:
        self.path = Path(path)
        self.fps = fps
        self.codec = _codec_for(self.path, codec)
        self.quality = quality
        self._stack = contextlib.ExitStack()
        self._container: Any = None
        self._stream: Any = None
        self.n_frames = 0

    def _start(self, height: int, width: int) -> None:
        from fractions import Fraction

        import av

        tmp = self._stack.enter_context(atomic_path(self.path, suffix=self.path.suffix))
        self._container = av.open(str(tmp), mode="w")
        options = {"crf": str(self.quality)} if self.codec == "libx264" else {}
        stream = self._container.add_stream(
            self.codec, rate=Fraction(self.fps).limit_denominator(1001), options=options
        )
        stream.width, stream.height = width + width % 2, height + height % 2
        stream.pix_fmt = "yuv420p"
        if self.codec != "libx264":
            stream.bit_rate = max(2_000_000, width * height * int(self.fps) * 2)
        self._stream = stream

    def write(self, frame: np.ndarray) -> None:
        """Append one RGB uint8 frame of shape (height, width, 3)."""
        import av

        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise DataValueError(
                f"frames must be uint8 arrays of shape (height, width, 3); got {frame.dtype} "
                f"{frame.shape}."
            )
        if self._stream is None:
            self._start(*frame.shape[:2])
        height, width = self._stream.height, self._stream.width
        if frame.shape[:2] != (height, width):
            padded = np.zeros((height, width, 3), np.uint8)
            padded[: frame.shape[0], : frame.shape[1]] = frame
            frame = padded
        picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        for packet in self._stream.encode(picture):
            self._container.mux(packet)
        self.n_frames += 1

    def close(self) -> None:
        """Flush the encoder and move the file into place."""
        if self._container is None:
            raise DataValueError(f"no frames were written to {str(self.path)!r}.")
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        self._container = None
        self._stack.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
            return
        if self._container is not None:
            self._container.close()
            self._container = None
        self._stack.__exit__(exc_type, exc, tb)


def write_video(path: Path | str, frames: Iterable[np.ndarray], *, fps: float = 30.0) -> None:
    """Write RGB uint8 frames (an array (n, H, W, 3) or any iterable of frames) to a video file."""
    with VideoWriter(path, fps) as writer:
        for frame in frames:
            writer.write(frame)


def annotate_video(
    video: Path | str,
    keypoints: np.ndarray,
    output: Path | str,
    *,
    skeleton: Iterable[tuple[int, int]] = (),
    confidence: np.ndarray | None = None,
    threshold: float = 0.5,
) -> None:
    """Write a copy of ``video`` with keypoints and the skeleton drawn on each frame.

    Parameters
    ----------
    keypoints : ndarray of shape (n_frames, n_keypoints, 2)
        Pixel coordinates per frame (x, y); NaN keypoints are not drawn.
    skeleton : pairs of keypoint indices (0-based)
    confidence : ndarray of shape (n_frames, n_keypoints), optional
        Keypoints below ``threshold`` are not drawn.
    """
    edges = [(int(i), int(j)) for i, j in skeleton]
    with open_video(video) as reader, VideoWriter(output, reader.fps) as writer:
        for t, frame in enumerate(reader):
            if t >= len(keypoints):
                break
            visible = None if confidence is None else confidence[t] >= threshold
            writer.write(draw_skeleton(frame, keypoints[t], edges, visible=visible))
