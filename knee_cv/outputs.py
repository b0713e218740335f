"""The output stage: one decode of the source video feeds the annotated video and the PDF's pictures.

The decode, drawing and encoding run in a background thread (the encoder is an
ffmpeg process), while the PDF is drawn in the calling thread; each rep page
waits only for its own worst frame.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from .errors import KneeCvError, OutputError
from .present import OverlayModel
from .render import LowerBodyAnnotator, VideoSink

log = logging.getLogger(__name__)

MAX_IMAGE_SIDE = 960  # px: the PDF's pictures are shrunk to this before they are kept
#: The annotated video's longer side, px: larger sources (4K) are scaled down, which keeps encoding time and
#: memory bounded; 1920 leaves phone and HD video at full size.
MAX_VIDEO_SIDE = 1920


def shrink(img: np.ndarray, side: int = MAX_IMAGE_SIDE) -> np.ndarray:
    """Scale ``img`` down so its longer side is at most ``side`` pixels."""
    scale = side / max(img.shape[:2])
    if scale >= 1:
        return img
    import cv2
    return cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def person_box(shape: tuple, xy: np.ndarray, pad: float = 0.25) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)``: the part of an image of ``shape`` around the landmarks ``xy`` (33, 2), padded, so
    a small person far away stays visible; the whole image when the person fills most of it."""
    h, w = shape[:2]
    pts = xy[np.isfinite(xy).all(1)]
    if len(pts) < 5:
        return 0, 0, w, h
    (x0, y0), (x1, y1) = pts.min(0), pts.max(0)
    m = pad * max(x1 - x0, y1 - y0)
    x0, x1 = int(max(x0 - m, 0)), int(min(x1 + m, w))
    y0, y1 = int(max(y0 - m, 0)), int(min(y1 + m, h))
    if (x1 - x0) * (y1 - y0) > 0.6 * w * h or x1 - x0 < 16 or y1 - y0 < 16:
        return 0, 0, w, h
    return x0, y0, x1, y1


def around_person(img: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """``img`` cut to :func:`person_box`."""
    x0, y0, x1, y1 = person_box(img.shape, xy)
    return img[y0:y1, x0:x1]


class FrameStore:
    """Frames handed from a producer thread to the PDF: :meth:`get` waits for one until the producer is done."""

    def __init__(self) -> None:
        self._frames: dict[int, np.ndarray] = {}
        self._done = False
        self._cond = threading.Condition()

    def put(self, i: int, img: np.ndarray) -> None:
        """Keep frame ``i`` (BGR), shrunk to :data:`MAX_IMAGE_SIDE`."""
        small = shrink(img)
        with self._cond:
            self._frames[i] = small.copy() if small is img else small  # never the caller's array: it gets drawn on
            self._cond.notify_all()

    def close(self) -> None:
        """No more frames will come: waiting readers get None for the missing ones."""
        with self._cond:
            self._done = True
            self._cond.notify_all()

    def get(self, i: int) -> np.ndarray | None:
        """Frame ``i`` (BGR, shrunk), waiting until it is there; None if it could not be read."""
        with self._cond:
            self._cond.wait_for(lambda: i in self._frames or self._done)
            return self._frames.get(i)


def video_size(size: tuple[int, int]) -> tuple[int, int]:
    """The annotated video's ``(width, height)`` for a source of ``size``: at most :data:`MAX_VIDEO_SIDE`, even."""
    scale = min(1.0, MAX_VIDEO_SIDE / max(size))
    return 2 * round(size[0] * scale / 2), 2 * round(size[1] * scale / 2)  # even: yuv420p needs it


def fit_to(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``img`` at ``size`` (width, height): itself if it already is, else scaled."""
    import cv2

    return img if img.shape[1::-1] == tuple(size) else cv2.resize(img, tuple(size), interpolation=cv2.INTER_AREA)


def annotate_at(ann: LowerBodyAnnotator, img: np.ndarray, xy: np.ndarray, overlay, *, size: tuple[int, int],
                source_width: int) -> np.ndarray:
    """``img`` scaled to the annotated video's ``size`` (if it is not) and drawn with ``overlay``.

    ``xy`` (33, 2) is in the source video's pixels, ``source_width`` pixels wide.
    """
    return ann.annotate(fit_to(img, size), xy * (size[0] / source_width), overlay)


class FramePass:
    """Decode ``video`` once in a background thread: draw and encode every frame into ``annotated`` (if given),
    and keep the frames in ``keep`` (undrawn, shrunk) for :meth:`get`.

    Without ``annotated`` only the kept frames are decoded (:func:`knee_cv.video.iter_frames_at`, seeking by the
    frames' ``times``, s, shape (T,), where given). ``store``: where the kept frames go (a new :class:`FrameStore`
    if not given).
    """

    def __init__(self, video: str, *, xy: np.ndarray, overlays: OverlayModel, keep: list[int],
                 annotated: Path | None = None, fps: float = 30.0, size: tuple[int, int] = (0, 0),
                 store: FrameStore | None = None, times: np.ndarray | None = None) -> None:
        self.store = store or FrameStore()
        self._error: BaseException | None = None
        self.written: str | None = None
        self._times = times
        args = (video, xy, overlays, sorted(set(keep)), annotated, fps, size)
        self._thread = threading.Thread(target=self._run, args=args, daemon=True, name="knee-cv-frames")
        self._thread.start()

    def _encode(self, video, xy, overlays, keep, annotated, fps, size) -> None:
        from .video import read_frames

        wanted, ann = set(keep), LowerBodyAnnotator()
        out_size = video_size(size)
        with VideoSink(annotated, fps, out_size) as sink:
            for fr in read_frames(video):
                if fr.index >= len(xy):
                    break
                if fr.index in wanted:
                    self.store.put(fr.index, fr.image)
                sink.write(annotate_at(ann, fr.image, xy[fr.index], overlays.at(fr.index), size=out_size,
                                       source_width=size[0]))
        self.written = sink.path.name

    def _run(self, video, xy, overlays, keep, annotated, fps, size) -> None:
        from .video import iter_frames_at, probe

        try:
            if annotated is not None:
                self._encode(video, xy, overlays, keep, annotated, fps, size)
            else:
                for i, img in iter_frames_at(video, keep, times=self._times, backend=probe(video).backend):
                    self.store.put(i, img)
        except (KneeCvError, OSError) as exc:
            self._error = exc
        finally:
            self.store.close()

    def get(self, i: int) -> np.ndarray | None:
        """Frame ``i`` (BGR, shrunk), waiting until it is decoded; None if it could not be read."""
        return self.store.get(i)

    def join(self) -> str | None:
        """Wait for the pass to end; the annotated video's file name, or None. Re-raises a failure."""
        self._thread.join()
        if self._error is not None and self.written is None and isinstance(self._error, (OSError, OutputError)):
            raise self._error  # the output could not be written: the user must hear it (exit 5)
        if self._error is not None:
            log.warning("could not read the video for the pictures: %s", self._error)
        return self.written
