"""The annotated video drawn while the pose model still runs, in a second process.

Pose estimation keeps one core busy. Drawing and encoding the annotated video after the
analysis (decode, draw, x264) added about a fifth to ``analyze``'s wall time on a two-core
machine, beside the PDF. Here a worker process (:mod:`knee_cv.early_worker`) decodes, draws
and encodes during the pose pass on the spare core, from the landmarks as they come and the
verdicts of the reps finished so far, then redoes whatever the whole analysis draws
differently. A thread could not do it: its Python work holds the interpreter lock the pose
pass needs between frames (a busy thread beside it made the pose pass 2.7x slower).

If the worker cannot start or fails, the video is written after the analysis as before
(:class:`knee_cv.outputs.FramePass`), with a warning in the log: never a missing output.
"""
from __future__ import annotations

import dataclasses
import logging
import pickle
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

from .outputs import FramePass, FrameStore, video_size
from .reps import Exercise
from .settings import Settings
from .video import VideoInfo

log = logging.getLogger(__name__)

#: Larger sources are drawn after the analysis: a second decoder of such frames would need more memory than
#: the speed is worth (4000x4000 would take knee-cv past 1.5 GB).
MAX_PIXELS = 3840 * 2160


@dataclasses.dataclass(frozen=True)
class Job:
    """What the worker needs: the video, where the result goes, and how the analysis is made.

    ``size``: the annotated video's (even) size; ``segment``: frames per re-encodable segment; ``every``:
    frames between two analyses of the landmarks so far; ``buffer_bytes``: how much decoded video may wait.
    """

    video: str
    annotated: Path
    info: VideoInfo
    settings: Settings
    exercise: Exercise | None
    size: tuple[int, int]
    folder: Path
    segment: int
    every: int = 30
    buffer_bytes: int = 250_000_000
    pages: bool = True  # a PDF is written: the worker may draw a share of its pages (matplotlib is loaded early)


class EarlyVideo:
    """Handle on the worker: feed it with :meth:`update` during the pose pass, then :meth:`finish`.

    After :meth:`finish` it serves the PDF's frames (:meth:`get`) and :meth:`join` returns the video's name,
    like :class:`knee_cv.outputs.FramePass`. Use it as a context manager: leaving stops the worker and removes
    its temporary files.
    """

    BATCH = 15  # frames of landmarks per message: few messages, and the worker is never far behind

    def __init__(self, video: str | Path, annotated: Path, *, info: VideoInfo, settings: Settings,
                 exercise: Exercise | None = None, pdf: bool = True, command: list[str] | None = None) -> None:
        """``pdf``: a report will be written (the worker may draw part of it); ``command`` starts the worker
        (default: this Python running :mod:`knee_cv.early_worker`)."""
        self.store = FrameStore()
        self.failed: str | None = None
        self.written: str | None = None
        self.stats: dict = {}
        self._batch: list = []
        self._fallback: FramePass | None = None
        self._reader: threading.Thread | None = None
        self._closing = False
        self._pages: bytes | None = None
        self._pages_ready = threading.Event()
        self._tmp = tempfile.TemporaryDirectory(prefix=".knee-cv-video-", dir=Path(annotated).parent)
        self._err = tempfile.TemporaryFile()
        self.job = Job(str(video), Path(annotated), info, settings, exercise, video_size((info.width, info.height)),
                       Path(self._tmp.name), segment=max(int(round(2 * info.fps)), 30), pages=pdf)
        self._proc = subprocess.Popen(command or [sys.executable, "-m", "knee_cv.early_worker"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._err)
        self._send(self.job)

    def _send(self, msg) -> None:
        if self.failed is not None:
            return
        try:
            pickle.dump(msg, self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._proc.stdin.flush()
        except OSError:  # the worker is gone: the reader finds out why, and the fallback writes the video
            self.failed = "the video process stopped early"

    def update(self, frame, xyz: np.ndarray, vis: np.ndarray) -> None:
        """One frame's landmarks from the pose pass (a :data:`knee_cv.pipeline.FrameCallback`)."""
        self._batch.append((xyz.copy(), vis.copy(), frame.t))
        if len(self._batch) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            xyz, vis, t = zip(*self._batch)
            self._send(("lm", np.stack(xyz), np.stack(vis), np.asarray(t, np.float64)))
            self._batch = []

    def finish(self, analysis, overlays, keep: list[int], pages_from: int | None = None) -> "EarlyVideo":
        """Send the whole analysis: the worker draws the rest, redoes what differs, and joins the video.

        With ``pages_from`` it first draws the PDF pages of the reps from that index on (:meth:`pages`).
        """
        self._flush()
        self._send(("end", analysis, sorted(set(keep)), pages_from))
        self._proc.stdin.close()
        self._reader = threading.Thread(target=self._read, args=(analysis.track.xy, overlays, keep), daemon=True,
                                        name="knee-cv-early-video")
        self._reader.start()
        return self

    def _read(self, xy: np.ndarray, overlays, keep: list[int]) -> None:
        try:
            while (msg := pickle.load(self._proc.stdout))[0] != "done":
                if msg[0] == "frame":
                    self.store.put(msg[1], msg[2])
                elif msg[0] == "pages":
                    self._pages = msg[1]
                    self._pages_ready.set()
                elif msg[0] == "stats":
                    self.stats = msg[1]
                    log.info("annotated video: %s", self.stats)
                elif msg[0] == "failed":
                    self.failed = msg[1]
                    break
            else:
                self.written = msg[1]
                self.store.close()
                return
        except (EOFError, OSError, pickle.UnpicklingError):
            self.failed = self.failed or "the video process stopped"
        finally:
            self._pages_ready.set()  # no pages will come after this: the PDF draws what is missing
        if self._closing:  # stopped on purpose: nothing more is wanted
            self.store.close()
            return
        log.warning("writing the annotated video after the analysis instead (%s)", self._reason())
        self._fallback = FramePass(self.job.video, xy=xy, overlays=overlays, keep=keep, annotated=self.job.annotated,
                                   fps=self.job.info.fps, size=(self.job.info.width, self.job.info.height),
                                   store=self.store)

    def _reason(self) -> str:
        self._err.seek(0)
        tail = self._err.read().decode(errors="replace").strip().splitlines()[-1:]
        return "; ".join([self.failed or "", *tail]).strip("; ")

    def pages(self) -> bytes | None:
        """The rep pages asked for in :meth:`finish`, as one PDF, once drawn; None if the worker could not."""
        self._pages_ready.wait()
        return self._pages

    def get(self, i: int) -> np.ndarray | None:
        """Frame ``i`` (BGR, shrunk) for the PDF, waiting until the worker sends it."""
        return self.store.get(i)

    def join(self) -> str | None:
        """Wait for the video; its file name. Raises :class:`~knee_cv.errors.OutputError` if it cannot be written."""
        self._reader.join()
        return self._fallback.join() if self._fallback is not None else self.written

    def close(self) -> None:
        """Stop the worker if it still runs and remove its temporary files."""
        self._closing = True
        try:
            self._proc.wait(timeout=10 if self.written is not None else 0)  # done: it only has to exit
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for f in (self._proc.stdin, self._proc.stdout, self._err):
            f.close()
        self._tmp.cleanup()

    def __enter__(self) -> "EarlyVideo":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
