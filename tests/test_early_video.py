"""The annotated video drawn during the pose pass (knee_cv.early) shows exactly what the whole analysis says."""
from __future__ import annotations

import dataclasses
import logging
import sys
import time
import types
from pathlib import Path

import cv2
import numpy as np
import pytest

from knee_cv.early import EarlyVideo, Job
from knee_cv.early_worker import XY_TOLERANCE_PX, Writer
from knee_cv.outputs import FramePass, video_size
from knee_cv.present import OverlayModel
from knee_cv.settings import Settings
from knee_cv.track import PoseTrack
from knee_cv.video import probe

from conftest import clip

pytestmark = pytest.mark.video
CLIP = "squat_front_valgus_then_good.mp4"


class _CountingSink:
    """Stands in for the segment encoder: counts what would be encoded."""

    def __init__(self) -> None:
        self.frames, self.rewritten = 0, {}

    def write(self, img: np.ndarray) -> None:
        self.frames += 1

    def rewrite(self, seg: int, frames) -> None:
        self.rewritten[seg] = sum(1 for _ in frames)

    def join(self, path: Path) -> Path:
        return Path(path)


def _messages(raw: PoseTrack, analysis, overlays, keep):
    for k in range(0, len(raw), 15):
        yield ("lm", raw.xyz[k:k + 15], raw.visibility[k:k + 15], raw.t[k:k + 15])
    yield ("end", analysis, keep)


def _write(tmp_path, analyzed, settings: Settings):
    """Run the worker's logic in-process on a real clip, speculating with ``settings`` (the final uses defaults)."""
    import queue

    res = analyzed(CLIP)
    a, video = res.analysis, clip(CLIP)
    raw, _ = PoseTrack.load(res.out_dir / "landmarks.npz")
    overlays, keep = OverlayModel.from_analysis(a), [r.worst_frame for r in a.reps]
    info = probe(video)
    job = Job(str(video), tmp_path / "annotated.mp4", info, settings, None, video_size((info.width, info.height)),
              tmp_path, segment=60)
    inbox, sent = queue.Queue(), []
    for msg in _messages(raw, a, overlays, keep):
        inbox.put(msg)
    w = Writer(job, sent.append, sink=_CountingSink())
    w.run(inbox)
    return w, a, overlays, keep, sent


def _shows_the_final_analysis(w: Writer, a, overlays) -> None:
    assert w.sink.frames == len(w.drawn) == len(a.track)
    for i, (ov, xy) in enumerate(w.drawn):
        assert ov == overlays.at(i), i
        assert np.allclose(xy, a.track.xy[i], atol=XY_TOLERANCE_PX, equal_nan=True), i


def test_frames_drawn_early_show_the_final_verdicts(tmp_path, analyzed):
    w, a, overlays, keep, sent = _write(tmp_path, analyzed, Settings())
    _shows_the_final_analysis(w, a, overlays)
    assert w.early >= 0.8 * len(a.track)                     # most of the video was drawn during the pose pass
    assert sum(w.sink.rewritten.values()) <= 0.5 * len(a.track)  # later reps change a few earlier frames
    pictures = {m[1] for m in sent if m[0] == "frame"}
    assert pictures == set(keep)                              # every picture the PDF needs, once
    assert sum(m[0] == "frame" for m in sent) == len(keep)


def test_segments_drawn_with_other_verdicts_are_drawn_again(tmp_path, analyzed):
    never = Settings(faults=dataclasses.replace(Settings().faults, valgus_min_toe_pct=100.0))  # no valgus early
    w, a, overlays, keep, _ = _write(tmp_path, analyzed, never)
    flagged = [r for r in a.reps if r.faults]
    assert flagged                                            # the clip's first reps cave in
    segs = {f // 60 for r in flagged for f in range(r.rep.start, r.rep.end + 1)}
    assert segs <= set(w.sink.rewritten)                      # every segment of a flagged rep was redone
    assert all(n == min(60, len(a.track) - s * 60) for s, n in w.sink.rewritten.items())
    _shows_the_final_analysis(w, a, overlays)


def _frames(path: Path) -> list[np.ndarray]:
    cap, out = cv2.VideoCapture(str(path)), []
    while (got := cap.read())[0]:
        out.append(got[1])
    cap.release()
    return out


def _feed(ev: EarlyVideo, raw: PoseTrack, n: int | None = None, cpu_s: float = 0.0) -> None:
    """Landmarks as a pose pass gives them: each after ``cpu_s`` of this thread's CPU time, as the pose model takes
    (a busy machine slows it as it slows the video process); 0: at once."""
    for i in range(len(raw) if n is None else n):
        ev.update(types.SimpleNamespace(t=raw.t[i]), raw.xyz[i], raw.visibility[i])
        end = time.thread_time() + cpu_s
        while time.thread_time() < end:
            pass


#: The video process at the normal priority. It runs in Linux's idle class so as to take only CPU time the pose
#: pass leaves; on a machine kept busy by other work (the tests' second worker) it then draws nothing until the
#: end, rightly. This test is about drawing early matching drawing after, so its worker takes its fair share.
FAIR_WORKER = [sys.executable, "-c", "import knee_cv.early_worker as w; w._yield_to_the_pose_pass = lambda: None; "
               "w.main()"]


def test_the_early_video_matches_the_one_drawn_after_the_analysis(tmp_path, analyzed):
    res = analyzed(CLIP)
    a, video = res.analysis, clip(CLIP)
    raw, _ = PoseTrack.load(res.out_dir / "landmarks.npz")
    overlays, keep = OverlayModel.from_analysis(a), [r.worst_frame for r in a.reps]
    info = probe(video)
    after = FramePass(str(video), xy=a.track.xy, overlays=overlays, keep=keep, annotated=tmp_path / "after.mp4",
                      fps=info.fps, size=(info.width, info.height))
    (tmp_path / "early").mkdir()
    with EarlyVideo(video, tmp_path / "early" / "annotated.mp4", info=info, settings=Settings(),
                    command=FAIR_WORKER) as ev:
        _feed(ev, raw, cpu_s=0.015)  # the pose model takes 22-25 ms of CPU a frame here: the worker draws meanwhile
        ev.finish(a, overlays, keep)
        for i in keep:  # the PDF's pictures: the same undrawn frames (held as I420 while waiting: chroma rounding)
            assert np.abs(ev.get(i).astype(np.int16) - after.get(i)).mean() < 1.5, i
        assert ev.join() == "annotated.mp4" and ev.failed is None
    assert after.join() == "after.mp4"
    assert ev.stats["drawn_early"] > 0  # how many depends on this machine's speed; the in-process tests pin it
    assert [p.name for p in (tmp_path / "early").iterdir()] == ["annotated.mp4"]  # no temporary files left
    x, y = _frames(tmp_path / "early" / "annotated.mp4"), _frames(tmp_path / "after.mp4")
    assert len(x) == len(y) == len(raw)
    diff = [float(np.abs(p.astype(np.int16) - q).mean()) for p, q in zip(x, y)]
    assert max(diff) < 3.0, int(np.argmax(diff))             # encoder noise only, frame by frame


def test_a_worker_that_dies_leaves_the_video_to_the_fallback(tmp_path, analyzed, caplog):
    res = analyzed(CLIP)
    a, video = res.analysis, clip(CLIP)
    raw, _ = PoseTrack.load(res.out_dir / "landmarks.npz")
    overlays, keep = OverlayModel.from_analysis(a), [r.worst_frame for r in a.reps]
    with caplog.at_level(logging.WARNING), EarlyVideo(video, tmp_path / "annotated.mp4", info=probe(video),
                                                      settings=Settings(),
                                                      command=[sys.executable, "-c", "import sys; sys.exit(3)"]) as ev:
        _feed(ev, raw)
        ev.finish(a, overlays, keep)
        assert all(ev.get(i) is not None for i in keep)
        assert ev.join() == "annotated.mp4"
    assert "after the analysis instead" in caplog.text
    assert len(_frames(tmp_path / "annotated.mp4")) == len(raw)


def test_leaving_before_the_end_stops_the_worker_and_leaves_nothing(tmp_path, analyzed):
    res = analyzed(CLIP)
    raw, _ = PoseTrack.load(res.out_dir / "landmarks.npz")
    video = clip(CLIP)
    with pytest.raises(KeyboardInterrupt):
        with EarlyVideo(video, tmp_path / "annotated.mp4", info=probe(video), settings=Settings()) as ev:
            _feed(ev, raw, 200)
            raise KeyboardInterrupt  # the pose pass stopped (Ctrl-C, an error)
    assert ev._proc.poll() is not None
    assert list(tmp_path.iterdir()) == []
