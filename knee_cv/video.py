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

from .decoders import SEEK_FRAMES, FfmpegCapture, colour_tags, lost_frames
from .errors import InputError
from .files import media_path

log = logging.getLogger(__name__)

@dataclasses.dataclass(frozen=True)
class VideoInfo:
    """What the container announces about a video."""

    path: str
    fps: float
    frames: int
    width: int
    height: int
    #: "opencv", or "ffmpeg" for a codec or colour tag OpenCV cannot decode and for colour tags it converts
    #: slowly (Display P3, BT.2020, HDR: see ``decoders``)
    backend: str = "opencv"
    clock: bool = True        # the container's frame rate and timestamps are believable (not over 1000 fps)

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps if self.fps > 0 else 0.0


@dataclasses.dataclass(frozen=True)
class Gap:
    """A damaged stretch the decoder skipped: between the good frames at ``after_s`` and ``before_s`` (seconds);
    ``frames`` lost there (:func:`knee_cv.decoders.lost_frames`; failed reads where the clip's times are not read)."""

    after_s: float
    before_s: float
    frames: int


#: Failed reads in a row before a file is taken to have ended: a damaged packet costs one or a few reads
#: (OpenCV's decoder then resumes at the next keyframe), the end of a file fails every time and fast.
MAX_BAD_READS = 50


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


def _check_file(path: Path) -> None:
    _quiet_codecs()
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a video file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty (0 bytes)")


def _open(path: Path, backend: str = "opencv", times=None):
    """A capture for ``path`` through ``backend`` (see :attr:`VideoInfo.backend` and :func:`probe`); ``times``:
    every frame's, if known, for the ffmpeg reader to seek by."""
    _check_file(path)
    if backend == "ffmpeg":
        return FfmpegCapture(path, times=times)
    cap = cv2.VideoCapture(media_path(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        raise InputError(f"{path}: not a readable video (OpenCV/FFmpeg cannot open it)")
    return cap


def _fourcc(cap: cv2.VideoCapture) -> str:
    code = int(cap.get(cv2.CAP_PROP_FOURCC))
    return "".join(chr((code >> 8 * k) & 0xFF) for k in range(4)).strip("\x00 ") or "unknown"


def _first_frame(path: Path) -> tuple[object, np.ndarray, str, tuple[float, float]]:
    """Open ``path`` and decode its first frame: ``(capture, image, backend, (fps, frames))``, the last two as
    OpenCV reads them from the container (0 where it cannot), whichever backend decodes.

    OpenCV first, unless the clip's colour tags make it slow; ffmpeg where OpenCV decodes nothing."""
    cap = _open(path)  # OpenCV opening the file is the check that it is a video at all
    codec, announced = _fourcc(cap), (cap.get(cv2.CAP_PROP_FPS), cap.get(cv2.CAP_PROP_FRAME_COUNT))
    order = ("ffmpeg", "opencv") if colour_tags(path).slow_in_opencv else ("opencv", "ffmpeg")
    for backend in order:
        got = _decodes(path, backend, cap if backend == "opencv" else None)
        if got is not None:
            if backend != "opencv":
                cap.release()
            return (*got, backend, announced)
    cap.release()
    raise InputError(f"{path}: video has no readable frames (codec {codec}; cut off before its first frame, "
                     "or a codec neither OpenCV nor ffmpeg decodes)")


def _decodes(path: Path, backend: str, cap=None) -> tuple[object, np.ndarray] | None:
    """``(capture, first image)`` through ``backend`` (``cap``, if given, is its capture, opened), or None
    (the capture released unless it was given)."""
    try:
        cap_b = cap if cap is not None else _open(path, backend)
    except InputError:
        return None
    ok, img = cap_b.read()
    if ok and img is not None:
        return cap_b, img
    if cap is None:
        cap_b.release()
    return None


def probe(path: str | Path) -> VideoInfo:
    """Read the container's announced properties and check that one frame decodes.

    Raises
    ------
    InputError
        Missing, empty, non-video, or a video with no decodable frame.
    """
    path = Path(path)
    cap, img, backend, (fps, frames) = _first_frame(path)
    try:
        if not cap.read()[0]:  # a PNG or JPEG opens as a one-frame "video"
            raise InputError(f"{path}: has a single frame (a still image?), not a video")
        if not (np.isfinite(fps) and fps > 0 and frames > 0):  # the container's own figures, else ffmpeg's
            fps, frames = cap.get(cv2.CAP_PROP_FPS), cap.get(cv2.CAP_PROP_FRAME_COUNT)
        clock = bool(np.isfinite(fps) and 0 < fps <= 1000)
        if not clock:  # its timestamps are as wrong as its rate: frames are timed at 30 fps instead
            log.warning("%s: container announces fps=%s; assuming 30", path, fps)
            fps = 30.0
        return VideoInfo(str(path), float(fps), max(int(frames), 0), img.shape[1], img.shape[0], backend, clock)
    finally:
        cap.release()


def _frame_time(cap, info: VideoInfo, i: int, last_t: float) -> float:
    """The frame just read's time, seconds: the container's, or ``index / fps`` where it gives none or goes back."""
    t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0 if info.clock else np.nan
    if not np.isfinite(t) or t <= last_t or (i > 0 and t == 0):
        t = max(i / info.fps, last_t + 1e-3)
    return t


def _frames_lost(cap, info: VideoInfo, step_s: float, bad: int, damaged: bool) -> int:
    """Frames lost just before the frame read ``step_s`` after the last one, after ``bad`` failed reads, in a file
    ``damaged`` by then. The ffmpeg reader counts them itself (it skips damage without a failed read); OpenCV's
    decoder loses frames a few reads after the failed one, so the times say where (its failed reads, without them)."""
    lost = getattr(cap, "lost", None)
    if lost is not None:
        return lost
    return lost_frames(step_s, info.fps, damaged) if info.clock else bad


def _add_gap(gaps: list, gap: Gap) -> None:
    """Append ``gap``, or join it to the last one when a single good frame stands between them (one damaged
    stretch with a frame decoded in its middle)."""
    if gaps and gaps[-1].before_s == gap.after_s:
        last = gaps.pop()
        gap = Gap(last.after_s, gap.before_s, last.frames + gap.frames)
    gaps.append(gap)


def read_frames(path: str | Path, *, info: VideoInfo | None = None, prefetch: int = 8,
                gaps: list | None = None) -> Iterator[Frame]:
    """Yield upright frames with timestamps, decoding in a background thread.

    Decoding overlaps with whatever the consumer does (pose estimation), which
    is what keeps the whole analysis close to the pose model's own speed.
    Timestamps come from the container (``CAP_PROP_POS_MSEC``) and fall back
    to ``index / fps`` where the container gives none or goes backwards.
    A damaged stretch in the middle of a file is skipped, not taken for its end
    (up to ``MAX_BAD_READS`` failed reads in a row); each one is appended to
    ``gaps`` as a :class:`Gap`.
    """
    path = Path(path)
    info = info or probe(path)
    q: queue.Queue = queue.Queue(maxsize=prefetch)
    stop = threading.Event()
    skipped = gaps if gaps is not None else []

    def worker() -> None:
        cap = None
        try:
            cap = _open(path, info.backend)  # inside try: a failure must reach the consumer, not leave it waiting
            i, last_t, bad, damaged = 0, -1.0, 0, False
            while not stop.is_set() and bad <= MAX_BAD_READS:
                ok, img = cap.read()
                if not ok or img is None:
                    bad += 1
                    continue
                t = _frame_time(cap, info, i, last_t)
                damaged = damaged or bad > 0
                lost = _frames_lost(cap, info, t - last_t, bad, damaged)
                if lost and i:
                    _add_gap(skipped, Gap(round(last_t, 3), round(t, 3), lost))
                bad, last_t = 0, t
                q.put(Frame(i, t, img))
                i += 1
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            q.put(exc)
        finally:
            if cap is not None:
                cap.release()
            q.put(None)

    th = threading.Thread(target=worker, name="knee-cv-decode", daemon=True)
    th.start()
    try:
        while (item := q.get()) is not None:
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stop.set()
        while th.is_alive():  # drain so the worker can finish its put()
            try:
                q.get(timeout=0.05)
            except queue.Empty:
                pass
        th.join()


def iter_frames_at(path: str | Path, indices, *, times=None, max_skip: int | None = None,
                   backend: str = "opencv") -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(index, frame)`` for the wanted ``indices`` in increasing order.

    Walks forward with ``grab()`` (decode, no copy) while the next wanted frame
    is within ``max_skip`` frames, and seeks only across longer gaps: a seek
    decodes from the previous keyframe, which on phone video costs more than
    grabbing a few hundred frames (OpenCV, 300), or restarts ffmpeg (its reader,
    :data:`~knee_cv.decoders.SEEK_FRAMES`), which can seek only given ``times``:
    every frame's time (s, shape (T,)) as read before, for example a track's.
    """
    skip = max_skip if max_skip is not None else (SEEK_FRAMES if backend == "ffmpeg" else 300)
    want = sorted({int(i) for i in indices if i >= 0})
    if not want:
        return
    cap = _open(Path(path), backend, times)
    try:
        pos = 0  # index of the frame the next grab() returns
        for i in want:
            if i - pos > skip:
                cap.set(cv2.CAP_PROP_POS_FRAMES, i)
                pos = i
            bad = 0  # damaged packets are skipped as read_frames skips them, so indices stay aligned
            while pos < i and bad <= MAX_BAD_READS:
                if cap.grab():
                    pos, bad = pos + 1, 0
                else:
                    bad += 1
            ok, img = cap.read()
            while (not ok or img is None) and bad <= MAX_BAD_READS:
                bad += 1
                ok, img = cap.read()
            if not ok or img is None:
                break
            yield i, img
            pos = i + 1
    finally:
        cap.release()
