"""The process that draws and encodes the annotated video while the pose model runs (``python -m`` this module).

Started by :class:`knee_cv.early.EarlyVideo`, which sends it a :class:`~knee_cv.early.Job`, then the landmarks
in batches as the pose pass makes them, then the finished analysis. Messages are pickles on stdin and stdout.

It decodes the video itself (on the core the pose model leaves idle), and every ``every`` frames analyses
the landmarks so far (:func:`knee_cv.analysis.analyze_track`, a few milliseconds). Frames up to the end of
the last finished rep are drawn with that analysis and encoded; later frames wait in a bounded buffer. When
the whole analysis arrives, the rest is drawn with it, and every segment with a frame drawn differently from
what the whole analysis says (a word, a colour, or a landmark off by more than half a pixel) is encoded again
from the source: the video always shows the final verdicts.
"""
from __future__ import annotations

import collections
import os
import pickle
import queue
import sys
import threading

import cv2
import numpy as np

from .outputs import annotate_at, fit_to, shrink
from .present import Overlay
from .render import LowerBodyAnnotator
from .segments import SegmentedSink

#: A landmark drawn this far from where the whole analysis puts it counts as a different frame (px).
XY_TOLERANCE_PX = 0.5
#: Frames this close to the newest landmarks are never drawn early (s).
SETTLE_S = 1.0


class Speculation:
    """The analysis of the landmarks received so far, redone every ``every`` frames."""

    def __init__(self, job) -> None:
        self.job, self.n, self._ran_at = job, 0, 0
        self._xyz, self._vis, self._t = [], [], []
        self.overlays = self.xy = None
        self.safe, self.worst = 0, frozenset()

    def add(self, xyz: np.ndarray, vis: np.ndarray, t: np.ndarray) -> None:
        self._xyz.append(xyz)
        self._vis.append(vis)
        self._t.append(t)
        self.n += len(t)

    def due(self) -> bool:
        """Time for another analysis: ``every`` frames since the last one, or 1 % of the track."""
        return self.n - self._ran_at >= max(self.job.every, self.n // 100)  # about 100 runs on a long video

    def run(self) -> None:
        """Analyse the landmarks so far: the overlays, the frames safe to draw, the reps' worst frames."""
        from .analysis import analyze_track
        from .errors import KneeCvError
        from .present import OverlayModel
        from .track import PoseTrack

        job, self._ran_at = self.job, self.n
        xyz, vis, t = (np.concatenate(x) for x in (self._xyz, self._vis, self._t))
        self._xyz, self._vis, self._t = [xyz], [vis], [t]
        try:
            a = analyze_track(PoseTrack(xyz, vis, t, job.info.width, job.info.height, job.info.fps), job.settings,
                              exercise=job.exercise)
        except KneeCvError:  # too little seen yet: frames wait for a later run
            return
        self.overlays, self.xy = OverlayModel.from_analysis(a), a.track.xy
        # the zero-phase filter still moves the last frames when later ones come
        settled = len(t) - int(round(SETTLE_S * job.info.fps))
        self.safe = min(max((r.rep.end + 1 for r in a.reps), default=0), settled)
        self.worst = frozenset(r.worst_frame for r in a.reps)

    def at(self, i: int) -> tuple[Overlay, np.ndarray]:
        """Frame ``i``'s overlay and landmarks (33, 2) as analysed so far."""
        if (self.overlays is None or i >= len(self.xy)) and self.n > self._ran_at:
            self.run()  # only when landmarks came since the last run: a failing analysis is not redone per frame
        if self.overlays is None or i >= len(self.xy):
            return Overlay(), np.concatenate(self._xyz)[i, :, :2]  # any drawing: the end compares and redoes it
        return self.overlays.at(i), self.xy[i]


class Writer:
    """Decode, draw and encode, holding frames until their verdicts are known (see the module docstring).

    ``drawn[i]`` is what frame ``i`` of the written video shows: its overlay and landmarks (px, source scale).
    ``sink``: where the frames go (a :class:`~knee_cv.segments.SegmentedSink` in the job's folder if not given).
    ``ending`` is set once the whole analysis is on its way: from then on nothing is drawn that can wait (the PDF
    waits for the pictures sent at the end).
    """

    def __init__(self, job, send, sink=None, ending: threading.Event | None = None) -> None:
        from .video import read_frames

        self.job, self.send = job, send
        self.spec = Speculation(job)
        self.sink = sink or SegmentedSink(job.folder, job.info.fps, job.size, job.segment)
        self.frames = read_frames(job.video, info=job.info, prefetch=2)  # few decoded frames held: memory
        self.buf: collections.deque = collections.deque()  # (index, I420 image at the video's size: half of BGR)
        self.drawn: list[tuple[Overlay, np.ndarray]] = []
        self.early = 0  # frames drawn before the whole analysis came
        self.kept: dict[int, np.ndarray] = {}
        self.ann = LowerBodyAnnotator()
        self.ending = ending or threading.Event()
        self.times: np.ndarray | None = None  # every frame's (s), once the whole analysis came

    def _decode(self, n: int) -> None:
        """Decode frames up to ``n`` (the frames whose landmarks have come)."""
        while len(self.drawn) + len(self.buf) < n:
            fr = next(self.frames)
            self.buf.append((fr.index, cv2.cvtColor(fit_to(fr.image, self.job.size), cv2.COLOR_BGR2YUV_I420)))

    def _write(self, i: int, i420: np.ndarray, overlay: Overlay, xy: np.ndarray, keep: bool) -> None:
        img = cv2.cvtColor(i420, cv2.COLOR_YUV2BGR_I420)
        if keep:
            self.kept[i] = shrink(img).copy()  # undrawn, for the PDF
        self.sink.write(self._draw(img, xy, overlay))
        self.drawn.append((overlay, xy))

    def _draw(self, img: np.ndarray, xy: np.ndarray, overlay: Overlay) -> np.ndarray:
        return annotate_at(self.ann, img, xy, overlay, size=self.job.size, source_width=self.job.info.width)

    def _drain(self) -> None:
        """Encode the frames whose verdicts are known, and the oldest ones while the buffer is over its limit."""
        frame_bytes = self.job.size[0] * self.job.size[1] * 3 // 2
        while self.buf and not self.ending.is_set() and (
                self.buf[0][0] < self.spec.safe or len(self.buf) * frame_bytes > self.job.buffer_bytes):
            i, i420 = self.buf.popleft()
            self._write(i, i420, *self.spec.at(i), i in self.spec.worst)

    def run(self, inbox: queue.Queue) -> str:
        """Follow the messages until the whole analysis comes; the written video's file name."""
        try:
            while (msg := inbox.get()) is not None:
                if msg[0] == "lm":
                    self.spec.add(*msg[1:])
                    if self.ending.is_set():
                        continue  # decoded and drawn at the end, with the whole analysis
                    self._decode(self.spec.n)
                    if self.spec.due():
                        self.spec.run()
                    self._drain()
                elif msg[0] == "end":
                    return self.finish(*msg[1:])
            raise EOFError("the analysis ended before its verdicts were sent")
        finally:
            self.frames.close()  # stops the decoding thread

    def finish(self, analysis, keep: list[int], pages_from: int | None = None) -> str:
        """Draw the rest with the whole ``analysis``, redo what differs, join the video; its file name.

        With ``pages_from``, the PDF's pages of ``analysis.reps[pages_from:]`` and its plan are drawn here and sent
        before the video is finished.
        """
        from .present import OverlayModel

        overlays, xy = OverlayModel.from_analysis(analysis), analysis.track.xy
        self.times = analysis.track.t  # the ffmpeg reader seeks by them
        self.early = len(self.drawn)
        pictures = self._pictures(overlays, xy, set(keep))
        if pages_from is not None:
            _send_pages(self.send, analysis, pages_from, pictures, overlays)
        bad = self._differing(overlays, xy)
        for seg in bad:
            self._redo(seg, overlays, xy)
        name = self.sink.join(self.job.annotated).name
        self.send(("stats", {"frames": len(xy), "drawn_early": self.early, "segments_redone": len(bad),
                             "segments": -(-len(xy) // self.job.segment), **_cpu_seconds()}))
        return name

    def _pictures(self, overlays, xy: np.ndarray, keep: set[int]) -> dict[int, np.ndarray]:
        """Send the PDF its frames as soon as each is at hand (kept while drawing early, decoded again, or drawn
        now with the frames still waiting); returns them."""
        from .video import iter_frames_at

        got: dict[int, np.ndarray] = {}

        def give(i: int, img: np.ndarray) -> None:
            got[i] = img
            self.send(("frame", i, img))

        for i in sorted(keep & self.kept.keys()):
            give(i, self.kept[i])
        missed = sorted(i for i in keep - got.keys() if i < len(self.drawn))  # drawn before it was known wanted
        for i, img in iter_frames_at(self.job.video, missed, times=self.times, backend=self.job.info.backend):
            give(i, img)
        self.kept.clear()
        self._decode(len(xy))
        while self.buf:
            i, i420 = self.buf.popleft()
            self._write(i, i420, overlays.at(i), xy[i], i in keep)
            if i in keep:
                give(i, self.kept.pop(i))
        return got

    def _differing(self, overlays, xy: np.ndarray) -> list[int]:
        """Segments with a frame drawn early that the whole analysis draws differently."""
        bad = set()
        for i, (ov, pts) in enumerate(self.drawn[:self.early]):
            if ov != overlays.at(i) or not np.allclose(pts, xy[i], atol=XY_TOLERANCE_PX, equal_nan=True):
                bad.add(i // self.job.segment)
        return sorted(bad)

    def _redo(self, seg: int, overlays, xy: np.ndarray) -> None:
        """Encode segment ``seg`` again from the source, drawn with the whole analysis."""
        from .errors import OutputError
        from .video import iter_frames_at

        idx = range(seg * self.job.segment, min((seg + 1) * self.job.segment, len(xy)))
        done = []

        def drawn():
            for i, img in iter_frames_at(self.job.video, idx, times=self.times, backend=self.job.info.backend):
                self.drawn[i] = (overlays.at(i), xy[i])
                done.append(i)
                yield self._draw(img, xy[i], overlays.at(i))

        self.sink.rewrite(seg, drawn())
        if len(done) != len(idx):
            raise OutputError(f"the video gave {len(done)} of the {len(idx)} frames of a part drawn again")


def _send_pages(send, analysis, start: int, pictures: dict[int, np.ndarray], overlays) -> None:
    """Draw the PDF's pages of the reps from ``start`` on and its plan, and send them (None if that failed)."""
    from .pdf import tail_pages

    try:
        pages = tail_pages(analysis, start, pictures, overlays)  # a dict serves the frames: get(i), None if absent
    except Exception as exc:  # noqa: BLE001 - the parent then draws these pages itself
        print(f"knee-cv: the report's last pages not drawn here: {type(exc).__name__}: {exc}", file=sys.stderr)
        pages = None
    send(("pages", pages))


def _cpu_seconds() -> dict[str, float]:
    """CPU seconds this process and its encoders used (for the log; empty where the OS does not say)."""
    try:
        import resource
    except ImportError:
        return {}
    own, enc = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"cpu_s": round(own.ru_utime + own.ru_stime, 2), "encoder_cpu_s": round(enc.ru_utime + enc.ru_stime, 2)}


def _yield_to_the_pose_pass() -> None:
    """Run only on CPU time the pose pass leaves: Linux's idle class (its encoder inherits it), else nice 19."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux, or not allowed
        if hasattr(os, "nice"):
            os.nice(19)


def _preload_pdf() -> None:
    from . import pdf  # noqa: F401
    import matplotlib.pyplot  # noqa: F401
    from matplotlib.backends import backend_pdf  # noqa: F401


def _reader(stream, inbox: queue.Queue, ending: threading.Event) -> None:
    """Unpickle messages into ``inbox`` as they come, so the parent never blocks on a full pipe; None at the end.
    ``ending`` is set when the whole analysis arrives."""
    try:
        while True:
            msg = pickle.load(stream)
            if msg[0] == "end":
                ending.set()
            inbox.put(msg)
    except (EOFError, OSError, pickle.UnpicklingError):
        inbox.put(None)


def main() -> None:
    """Run one job from stdin; report frames, stats and the result (or the failure) on stdout."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the message stream
    lock = threading.Lock()

    def send(msg) -> None:
        with lock:
            pickle.dump(msg, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()

    _yield_to_the_pose_pass()
    cv2.setNumThreads(1)  # one core's worth: OpenCV's thread pool would compete with the pose model
    try:
        job = pickle.load(sys.stdin.buffer)
        if job.pages:  # imported now, on the spare core, not when the pages are due
            threading.Thread(target=_preload_pdf, daemon=True).start()
        inbox: queue.Queue = queue.Queue()
        ending = threading.Event()
        threading.Thread(target=_reader, args=(sys.stdin.buffer, inbox, ending), daemon=True).start()
        send(("done", Writer(job, send, ending=ending).run(inbox)))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which then writes the video itself
        send(("failed", f"{type(exc).__name__}: {exc}"))
    out.close()
    os._exit(0)  # everything is written and closed: skip the interpreter's slow teardown, the parent waits for it


if __name__ == "__main__":
    main()
