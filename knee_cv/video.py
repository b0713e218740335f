"""Reading frames from video files, with true timestamps and upright orientation.

OpenCV's FFmpeg backend applies container rotation metadata by default
(``CAP_PROP_ORIENTATION_AUTO``), so phone videos come out upright.
"""
from __future__ import annotations

import functools
import os

import dataclasses
import logging
import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from .errors import InputError

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".webm", ".mkv", ".m4v")


@dataclasses.dataclass(frozen=True)
class VideoInfo:
    """What the container announces about a video."""

    path: str
    fps: float
    frames: int
    width: int
    height: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps if self.fps > 0 else 0.0


@dataclasses.dataclass(frozen=True)
class Frame:
    """One decoded frame: ``image`` is BGR uint8 of shape (H, W, 3); ``t`` in seconds."""

    index: int
    t: float
    image: np.ndarray


@functools.cache
def _quiet_codecs() -> None:
    """Keep FFmpeg's per-packet complaints about damaged files off the terminal; knee-cv reports them itself."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET, read when the backend starts
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


def _open(path: Path) -> cv2.VideoCapture:
    _quiet_codecs()
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a video file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty (0 bytes)")
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        raise InputError(f"{path}: not a readable video (OpenCV/FFmpeg cannot open it)")
    return cap


def probe(path: str | Path) -> VideoInfo:
    """Read the container's announced properties and check that one frame decodes.

    Raises
    ------
    InputError
        Missing, empty, non-video, or a video with no decodable frame.
    """
    path = Path(path)
    cap = _open(path)
    try:
        ok, img = cap.read()
        if not ok or img is None:
            raise InputError(f"{path}: video has no readable frames (cut off before its first frame?)")
        fps = cap.get(cv2.CAP_PROP_FPS)
        if not np.isfinite(fps) or fps <= 0 or fps > 1000:
            log.warning("%s: container announces fps=%s; assuming 30", path, fps)
            fps = 30.0
        frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        return VideoInfo(str(path), float(fps), max(frames, 0), img.shape[1], img.shape[0])
    finally:
        cap.release()


def read_frames(path: str | Path, *, info: VideoInfo | None = None, prefetch: int = 8) -> Iterator[Frame]:
    """Yield upright frames with timestamps, decoding in a background thread.

    Decoding overlaps with whatever the consumer does (pose estimation), which
    is what keeps the whole analysis close to the pose model's own speed.
    Timestamps come from the container (``CAP_PROP_POS_MSEC``) and fall back
    to ``index / fps`` where the container gives none or goes backwards.
    """
    path = Path(path)
    info = info or probe(path)
    q: queue.Queue = queue.Queue(maxsize=prefetch)
    stop = threading.Event()

    def worker() -> None:
        cap = _open(path)
        try:
            i, last_t = 0, -1.0
            while not stop.is_set():
                ok, img = cap.read()
                if not ok or img is None:
                    break
                t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                if not np.isfinite(t) or t <= last_t or (i > 0 and t == 0):
                    t = max(i / info.fps, last_t + 1e-3)
                last_t = t
                q.put(Frame(i, t, img))
                i += 1
        finally:
            cap.release()
            q.put(None)

    th = threading.Thread(target=worker, name="knee-cv-decode", daemon=True)
    th.start()
    try:
        while (item := q.get()) is not None:
            yield item
    finally:
        stop.set()
        while th.is_alive():  # drain so the worker can finish its put()
            try:
                q.get(timeout=0.05)
            except queue.Empty:
                pass
        th.join()


def iter_frames_at(path: str | Path, indices, *, max_skip: int = 300) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(index, frame)`` for the wanted ``indices`` in increasing order.

    Walks forward with ``grab()`` (decode, no copy) while the next wanted frame
    is within ``max_skip`` frames, and seeks only across longer gaps: a seek
    decodes from the previous keyframe, which on phone video costs more than
    grabbing a few hundred frames.
    """
    want = sorted({int(i) for i in indices if i >= 0})
    if not want:
        return
    cap = _open(Path(path))
    try:
        pos = 0  # index of the frame the next grab() returns
        for i in want:
            if i - pos > max_skip:
                cap.set(cv2.CAP_PROP_POS_FRAMES, i)
                pos = i
            while pos < i and cap.grab():
                pos += 1
            ok, img = cap.read()
            if not ok or img is None:
                break
            yield i, img
            pos = i + 1
    finally:
        cap.release()
