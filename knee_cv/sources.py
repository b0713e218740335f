"""Frame sources for live mode: a camera, or a video file replayed in real time as if it were one.

Both yield :class:`LiveFrame` objects carrying the moment the frame became
available, from which live mode measures capture-to-overlay latency.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from .errors import CameraError

log = logging.getLogger(__name__)


@dataclasses.dataclass
class LiveFrame:
    index: int
    t: float              # media time, s
    image: np.ndarray
    captured: float       # time.perf_counter() when the frame became available


# --- frame sources ---------------------------------------------------------------

class CameraSource:
    """Frames from an OpenCV camera. A read failure after frames have arrived ends the stream (disconnect)."""

    def __init__(self, index: int | str, *, width: int = 640, height: int = 480) -> None:
        self.index = index
        self.name = f"camera {index}"
        self.cap = cv2.VideoCapture(index)
        if not self.cap.isOpened():
            raise CameraError(f"{self.name} could not be opened (missing, or busy in another app); "
                              f"{self._hint()}")
        self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self.fps = self.cap.get(cv2.CAP_PROP_FPS) or 30.0
        self.disconnected = False
        self.dropped = 0

    def __iter__(self) -> Iterator[LiveFrame]:
        t0, i = time.perf_counter(), 0
        while True:
            ok, img = self.cap.read()
            now = time.perf_counter()
            if not ok or img is None:
                if i == 0:
                    raise CameraError(f"{self.name} opened but gives no picture; {self._hint()} or check "
                                      "camera permissions")
                self.disconnected = True
                log.warning("%s stopped delivering frames: keeping what was recorded", self.name)
                return
            yield LiveFrame(i, now - t0, img, now)
            i += 1

    def _hint(self) -> str:
        other = f"--camera {self.index + 1}" if isinstance(self.index, int) else "another --camera index"
        return f"try {other}, close other apps using it, or use --source FILE"

    def close(self) -> None:
        self.cap.release()


class ReplaySource:
    """A video file played back in real time like a camera: a reader thread publishes each frame at its
    own timestamp, and the consumer always takes the newest one (older ones are dropped, as a camera would)."""

    def __init__(self, path: str | Path, *, realtime: bool = True) -> None:
        from .video import probe

        self.realtime = realtime  # False: as fast as frames are consumed, none dropped (benchmarks)
        self.path = str(path)
        self.info = probe(path)
        self.fps = self.info.fps
        self.name = Path(path).name
        self.disconnected = False
        self.dropped = 0
        self.decoded = 0           # frames read from the file
        self.ended = False         # the file ran out (not stopped early by the session)
        self.gaps: list = []       # damaged stretches skipped (knee_cv.video.Gap)
        self._latest: LiveFrame | None = None
        self._done = False
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="knee-cv-replay", daemon=True)

    def _run(self) -> None:
        from .video import read_frames

        start = None
        frames = read_frames(self.path, info=self.info, gaps=self.gaps)
        try:
            for fr in frames:
                if self._stop.is_set():
                    break
                self.decoded += 1
                start = start if start is not None else time.perf_counter() - fr.t
                delay = start + fr.t - time.perf_counter()
                if self.realtime and delay > 0:
                    time.sleep(delay)
                with self._cond:
                    if not self.realtime:
                        self._cond.wait_for(lambda: self._latest is None or self._stop.is_set())
                    if self._latest is not None:
                        self.dropped += 1
                    self._latest = LiveFrame(fr.index, fr.t, fr.image, time.perf_counter())
                    self._cond.notify()
            self.ended = not self._stop.is_set()
        finally:
            frames.close()  # stops and joins the decoder thread: native threads must not outlive the interpreter
            with self._cond:
                self._done = True
                self._cond.notify()

    def __iter__(self) -> Iterator[LiveFrame]:
        self._thread.start()
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._latest is not None or self._done)
                frame, self._latest = self._latest, None
                self._cond.notify()
            if frame is None:
                return
            yield frame

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
