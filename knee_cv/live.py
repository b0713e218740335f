"""Live form feedback from a camera (or a video replayed as if it were one).

The same pose adapter, metrics, rep evaluation, drawing and output writer as
``analyze`` are used; what differs is where frames come from (a camera, paced
in real time), the causal one-euro smoothing, and that reps are closed and
judged while the person moves.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from .errors import InputError, KneeCvError
from .exercises import short_cue
from .faults import adjusted_valgus, evaluate_reps, judged_valgus, main_fault
from .filtering import OneEuroFilter, OneEuroSettings
from .kinematics import FrameMetrics, frame_metrics, standing_baseline
from .render import LowerBodyAnnotator, Overlay, VideoSink
from .report import ensure_dir
from .reps import Exercise, Rep, classify_exercise
from .sources import CameraSource, ReplaySource
from .settings import Settings
from .track import ANKLE, LM, N_LANDMARKS, SIDES, TOE, PoseTrack
from .view import SIDE_MAX_SHOULDER_WIDTH

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class LiveSettings:
    """Live-only behaviour; analysis thresholds stay in :class:`knee_cv.settings.Settings`."""

    calibration_s: float = 2.5     # standing still at the start (or after the c key)
    cue_frames: int = 3            # trusted frames past a threshold, in a row, before a cue is given
    streak_reps: int = 2           # the same fault this many reps in a row gets a stronger message
    first_rep_depth: float = 0.5   # expected depth (fraction of leg length) until a rep has been seen
    smoothing: OneEuroSettings = OneEuroSettings()


# --- the session state -------------------------------------------------------------

@dataclasses.dataclass
class LiveRep:
    rep: Rep                      # frame indices relative to the calibration it was measured after
    verdict: dict[str, str]       # left / right / hip -> ok | mild | moderate | severe | n/a
    faults: list[dict]
    start_s: float
    bottom_s: float
    end_s: float
    message: str


class LiveSession:
    """Per-frame state: smoothing, calibration, metrics, rep closing, cues. Pure numpy, no I/O."""

    def __init__(self, settings: Settings = Settings(), live: LiveSettings = LiveSettings(), *,
                 width: int, height: int, fps: float) -> None:
        self.settings, self.live = settings, live
        self.width, self.height, self.fps = width, height, fps
        self.raw_xyz: list[np.ndarray] = []
        self.raw_vis: list[np.ndarray] = []
        self.t: list[float] = []
        self.smooth_xyz: list[np.ndarray] = []
        self.filter = OneEuroFilter(live.smoothing)
        self.baseline = None
        self.calib_from = 0                    # frame index where the current calibration began
        self.m: dict[str, list] = {f.name: [] for f in dataclasses.fields(FrameMetrics) if f.name != "t"}
        self.m_from = 0                        # frame index of the first metrics row
        self.reps: list[LiveRep] = []
        self.rep_offset = 0                    # the r key restarts numbering
        self.reps_since_calibration = 0
        self.exercise = Exercise.SQUAT
        self.events: list[dict] = []
        self._reset_rep_state(0)
        self.cue = ""
        self.cue_until = 0.0
        self.guidance = ""

    # -- helpers
    def _reset_rep_state(self, start: int) -> None:
        self.seg_start = start
        self.trough = np.inf               # lowest depth since the segment began; a rep must rise above it
        self.peak, self.peak_i = 0.0, start
        self.run = np.zeros(2, int)
        self.drop_run = 0
        self.cued: set[str] = set()

    def _metrics(self, lo: int = 0) -> FrameMetrics:
        """Metrics rows ``lo`` .. now as arrays (a rep needs only its own rows: bounded work per rep)."""
        return FrameMetrics(t=np.asarray(self.t[self.m_from + lo:]),
                            **{k: np.asarray(v[lo:]) for k, v in self.m.items()})

    def _track(self, xyz_list, start: int = 0) -> PoseTrack:
        n = len(self.t) - start
        xyz = np.asarray(xyz_list[start:], np.float32).reshape(n, N_LANDMARKS, 3)
        vis = np.asarray(self.raw_vis[start:], np.float32).reshape(n, N_LANDMARKS)
        t = np.asarray(self.t[start:]) if n else np.zeros(0)
        return PoseTrack(xyz, vis, t, self.width, self.height, self.fps)

    def raw_track(self) -> PoseTrack:
        return self._track(self.raw_xyz)

    def recalibrate(self) -> None:
        self.baseline = None
        self.calib_from = len(self.t)
        self.events.append({"t": self.t[-1] if self.t else 0.0, "event": "recalibrate"})

    def reset_counter(self) -> None:
        self.rep_offset = len(self.reps)
        self.events.append({"t": self.t[-1] if self.t else 0.0, "event": "reset_counter"})

    # -- per frame
    def update(self, t: float, xyz: np.ndarray, vis: np.ndarray, image: np.ndarray | None = None) -> Overlay:
        """Add one frame; returns what to draw on it."""
        if self.t and t <= self.t[-1]:
            t = self.t[-1] + 1e-3
        self.raw_xyz.append(xyz)
        self.raw_vis.append(vis)
        self.t.append(t)
        self.smooth_xyz.append(self.filter(xyz, t).astype(np.float32))
        i = len(self.t) - 1
        self.guidance = self._guidance(xyz, vis, image)
        if self.baseline is None:
            return self._calibrate(i, t)
        self._append_metrics(i)
        self._step_rep(i, t)
        return self._overlay(i, t)

    def _guidance(self, xyz, vis, image) -> str:
        if np.isnan(xyz[LM.LEFT_HIP, 0]):
            dark = image is not None and float(image.mean()) < 50
            return "More light, please" if dark else "Step into view of the camera"
        feet = np.r_[ANKLE, TOE]
        if (vis[feet] < self.settings.trust.min_visibility).any() or (xyz[feet, 1] > self.height * 0.99).any():
            return "Step back so your feet are in view"
        leg = float(np.mean(np.linalg.norm(xyz[[LM.LEFT_HIP, LM.RIGHT_HIP], :2] - xyz[ANKLE, :2], axis=-1)))
        shoulders = abs(xyz[LM.LEFT_SHOULDER, 0] - xyz[LM.RIGHT_SHOULDER, 0])
        if shoulders < SIDE_MAX_SHOULDER_WIDTH * leg or xyz[LM.LEFT_SHOULDER, 0] < xyz[LM.RIGHT_SHOULDER, 0]:
            return "Turn to face the camera"
        if image is not None and float(image.mean()) < 50 and float(np.mean(vis[23:])) < 0.7:
            return "More light, please"
        return ""

    def _calibrate(self, i: int, t: float) -> Overlay:
        ok = [k for k in range(self.calib_from, i + 1) if not np.isnan(self.raw_xyz[k][LM.LEFT_HIP, 0])]
        span = self.t[i] - self.t[ok[0]] if ok else 0.0
        grey = (None, None)
        if self.guidance:
            self.calib_from = i + 1  # start over once the whole body is in view
            return Overlay(grey, banner="Calibration paused", cue=self.guidance, big_cue=True)
        if span < self.live.calibration_s:
            return Overlay(grey, banner=f"Calibrating: stand still facing the camera "
                                        f"({self.live.calibration_s - span:.1f} s)")
        base = standing_baseline(self._track(self.smooth_xyz, self.calib_from))
        if base is None:
            self.calib_from = i + 1
            return Overlay(grey, banner="Calibration failed: hips, knees and ankles must be visible")
        self.baseline = base
        self.m = {k: [] for k in self.m}
        self.m_from = i + 1
        self.reps_since_calibration = len(self.reps)  # earlier reps index older metrics
        self._reset_rep_state(0)
        self.events.append({"t": t, "event": "calibrated", "leg_length_px": round(base.leg_length, 1)})
        log.info("calibrated at %.2f s, leg length %.0f px", t, base.leg_length)
        return Overlay(grey, banner="Calibrated: start your reps")

    def _append_metrics(self, i: int) -> None:
        one = PoseTrack(self.smooth_xyz[i][None], self.raw_vis[i][None], np.array([self.t[i]]),
                        self.width, self.height, self.fps)
        with np.errstate(invalid="ignore"):
            fm = frame_metrics(one, self.baseline, self.settings.trust)
        for k in self.m:
            self.m[k].append(getattr(fm, k)[0])
        # the judged knee measure, once per frame, for cues and the overlay
        self.measure = judged_valgus(fm.fppa_deg[0], fm.depth[0], self.exercise, self.settings.faults)

    def _step_rep(self, i: int, t: float) -> None:
        rs, fs = self.settings.reps, self.settings.faults
        j = i - self.m_from                                  # metrics row of this frame
        d = self.m["depth"][j]
        d = 0.0 if not np.isfinite(d) else float(d)
        if d <= self.trough:               # a new low: any rep must start from here
            self.trough, self.peak, self.peak_i = d, d, j
        elif d > self.peak:
            self.peak, self.peak_i = d, j
        rising = self.peak - self.trough >= rs.min_depth
        expected = np.median([r.rep.depth for r in self.reps]) if self.reps else self.live.first_rep_depth
        if rising and d >= fs.judge_from_depth_fraction * min(expected, self.peak):
            self._maybe_cue(j, t)
        if rising and d < rs.stand_fraction * self.peak:
            self._close_rep(j, t)

    def _maybe_cue(self, j: int, t: float) -> None:
        fs = self.settings.faults
        trusted = self.m["knee_trusted"][j]
        past = trusted & (self.measure >= fs.valgus(self.exercise).onset)
        self.run = np.where(past, self.run + 1, np.where(trusted, 0, self.run))
        for s, side in enumerate(SIDES):
            if self.run[s] >= self.live.cue_frames and side not in self.cued:
                self._say(t, "knee_valgus", side)
        drop = self.m["pelvic_drop_deg"][j]
        self.drop_run = self.drop_run + 1 if self.m["pelvis_trusted"][j] and abs(drop) >= fs.hip_drop.onset else 0
        if self.drop_run >= self.live.cue_frames and "hip" not in self.cued:
            self._say(t, "hip_drop", "left" if drop > 0 else "right")

    def _say(self, t: float, code: str, side: str) -> None:
        self.cued.add("hip" if code == "hip_drop" else side)
        streak = self._streak(code, side)
        text = short_cue(code, side)
        if streak >= self.live.streak_reps:
            text = f"Again ({streak + 1} reps in a row): {text}"
        self.cue, self.cue_until = text, t + 2.5
        self.events.append({"t": round(t, 3), "event": "cue", "code": code, "side": side, "text": text,
                            "rep": len(self.reps) + 1 - self.rep_offset})

    def _streak(self, code: str, side: str) -> int:
        n = 0
        for r in reversed(self.reps):
            if not any(f["code"] == code and f["side"] == side for f in r.faults):
                break
            n += 1
        return n

    def _close_rep(self, j: int, t: float) -> None:
        rs = self.settings.reps
        depth = np.nan_to_num(np.asarray(self.m["depth"][self.seg_start:self.peak_i]), nan=0.0)
        before = np.flatnonzero(depth < rs.stand_fraction * self.peak)
        start = self.seg_start + (int(before[-1]) if before.size else 0)
        if self.t[self.m_from + j] - self.t[self.m_from + start] >= rs.min_rep_s / 2:
            rep = Rep(len(self.reps) + 1, start, self.peak_i, j, float(self.peak))
            # exercise and lead leg from the bottoms since calibration (only those frames are read)
            recent = [r.rep for r in self.reps[self.reps_since_calibration:]] + [rep]
            xy = np.asarray([self.smooth_xyz[self.m_from + r.bottom] for r in recent], np.float32)[..., :2]
            kind, labelled = classify_exercise(xy, self.baseline.leg_length,
                                               [dataclasses.replace(r, bottom=k) for k, r in enumerate(recent)], rs)
            if kind is not Exercise.UNKNOWN:  # squat, lunge (lead leg) or single-leg (standing leg)
                self.exercise, rep = kind, dataclasses.replace(rep, lead_leg=labelled[-1].lead_leg)
            metrics = self._metrics(start)     # this rep's rows only; indices shifted to match
            local = dataclasses.replace(rep, start=0, bottom=rep.bottom - start, end=rep.end - start)
            measure = adjusted_valgus(metrics, self.exercise, self.settings.faults)
            (res,) = evaluate_reps(metrics, measure, [local], self.exercise, self.settings.faults)
            verdict = {"left": res.verdict("left"), "right": res.verdict("right"), "hip": res.verdict("hip")}
            faults = [f.as_dict() for f in res.faults]
            worst = main_fault(res.faults)
            msg = short_cue(worst.code, worst.side) if worst else "Good rep"
            at = lambda k: float(self.t[self.m_from + k])  # noqa: E731
            self.reps.append(LiveRep(rep, verdict, faults, at(rep.start), at(rep.bottom), t, msg))
            self.events.append({"t": round(t, 3), "event": "rep", "rep": len(self.reps) - self.rep_offset,
                                "verdict": verdict, "faults": faults})
            if worst:
                streak = self._streak(worst.code, worst.side)
                if streak >= self.live.streak_reps:
                    msg = f"{streak} reps in a row! {msg}"
                self.cue, self.cue_until = msg, t + 2.5
        self._reset_rep_state(j)

    def _overlay(self, i: int, t: float) -> Overlay:
        j = i - self.m_from
        trusted = self.m["knee_trusted"][j]
        onset = self.settings.faults.valgus(self.exercise).onset
        deep = self.peak - self.trough >= self.settings.reps.min_depth
        bad = tuple(None if not trusted[s] else bool(deep and self.measure[s] >= onset) for s in (0, 1))
        last = self.reps[-1] if len(self.reps) > self.rep_offset else None
        verdict = ""
        if last is not None:
            parts = [f"{k[0].upper()} {v}" for k, v in last.verdict.items() if v not in ("ok", "n/a")]
            verdict = ", ".join(parts) if parts else "good"
        cue = self.cue if t <= self.cue_until else ""
        return Overlay(bad, float(self.m["pelvic_drop_deg"][j]), len(self.reps) - self.rep_offset, verdict,
                       cue or self.guidance, banner=self.guidance if cue else "", big_cue=True)


# --- the loop --------------------------------------------------------------------------

@dataclasses.dataclass
class LiveStats:
    frames: int = 0
    dropped: int = 0
    latency_ms: list[float] = dataclasses.field(default_factory=list)
    first: float | None = None     # perf_counter of the first and last drawn frame
    last: float | None = None

    def as_dict(self) -> dict:
        lat = np.asarray(self.latency_ms) if self.latency_ms else np.full(1, np.nan)
        span = (self.last - self.first) if self.first is not None and self.last is not None else 0.0
        return {"frames_processed": self.frames, "frames_dropped": self.dropped,
                "fps": round((self.frames - 1) / span, 1) if span > 0 else None,  # steady state, no start-up
                "latency_ms": {"median": round(float(np.nanmedian(lat)), 1),
                               "p95": round(float(np.nanpercentile(lat, 95)), 1)}}


def run_live(*, camera: int | str = 0, source: str | Path | None = None, out: str | Path | None = None,
             model: str = "full", settings: Settings = Settings(), live: LiveSettings = LiveSettings(),
             headless: bool = False, record: str | Path | None = None, pdf: bool = True,
             max_seconds: float | None = None, realtime: bool = True):
    """Run a live session until q, the end of ``source``, a camera disconnect, or ``max_seconds``.

    Returns the :class:`knee_cv.api.Result` of the session (same outputs as ``analyze``), with the
    live per-rep verdicts, cues and timing under ``report["live"]``.
    """
    from . import models
    from .api import finish
    from .pose import PoseEstimator

    if not headless and sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                                  or os.environ.get("WAYLAND_DISPLAY")):
        # Qt would abort the process; say what to do instead
        raise InputError("no display to show the live window on (DISPLAY is not set): add --headless, "
                         "and --record FILE.mp4 to keep the annotated stream")
    resolved = models.resolve(model)
    src = ReplaySource(source, realtime=realtime) if source is not None else CameraSource(camera)
    try:
        out = ensure_dir(Path(out) if out else Path("knee_cv_out") / f"live_{time.strftime('%Y%m%d_%H%M%S')}")
    except KneeCvError:
        src.close()
        raise
    stats, ann = LiveStats(), LowerBodyAnnotator()
    session: LiveSession | None = None
    sink: VideoSink | None = None
    window = "knee-cv live (q quit, c recalibrate, r reset, s snapshot)"
    snapshots = 0
    t_start = time.perf_counter()
    try:
        with PoseEstimator(resolved) as est:
            for fr in src:
                if session is None:
                    h, w = fr.image.shape[:2]
                    session = LiveSession(settings, live, width=w, height=h, fps=src.fps)
                    if record:
                        Path(record).parent.mkdir(parents=True, exist_ok=True)
                        sink = VideoSink(Path(record), src.fps, (w, h))
                xyz, vis = est.process(fr.image, fr.t)
                overlay = session.update(fr.t, xyz, vis, fr.image)
                view = cv2.flip(fr.image, 1)                  # a mirror is what people expect to see
                mirrored = session.smooth_xyz[-1][:, :2].copy()
                mirrored[:, 0] = view.shape[1] - 1 - mirrored[:, 0]
                ann.annotate(view, mirrored, overlay)
                stats.last = time.perf_counter()
                stats.first = stats.first or stats.last
                stats.latency_ms.append(1000 * (stats.last - fr.captured))
                stats.frames += 1
                if sink is not None:
                    sink.write(view)
                if not headless:
                    cv2.imshow(window, view)
                    key = cv2.waitKey(1) & 0xFF
                    if key == ord("q"):
                        break
                    if key == ord("c"):
                        session.recalibrate()
                    elif key == ord("r"):
                        session.reset_counter()
                    elif key == ord("s"):
                        out.mkdir(parents=True, exist_ok=True)
                        snapshots += 1
                        cv2.imwrite(str(out / f"snapshot_{snapshots}.png"), view)
                if max_seconds is not None and time.perf_counter() - t_start > max_seconds:
                    break
    except KeyboardInterrupt:
        log.warning("interrupted: writing the session so far")
    finally:
        src.close()
        if sink is not None:
            sink.close()
        if not headless:
            cv2.destroyAllWindows()
    stats.dropped = src.dropped
    if session is None or not session.t:
        raise InputError(f"{src.name}: no frames were received")
    raw = session.raw_track()
    warnings = []
    if src.disconnected:
        warnings.append(f"{src.name} disconnected after {raw.t[-1]:.1f} s; the session up to then was kept")
    if session.baseline is None:
        warnings.append("calibration never completed: stand still, whole body in view, for "
                        f"{live.calibration_s:.0f} s at the start")
    vinfo = {"path": str(source) if source is not None else src.name, "fps": round(src.fps, 3),
             "frames": len(raw), "frames_read": len(raw), "width": raw.width, "height": raw.height,
             "duration_s": round(float(raw.t[-1]) if len(raw) else 0.0, 3), "live": True}
    live_report = {"reps": [{"index": k + 1, "start_s": round(r.start_s, 3), "bottom_s": round(r.bottom_s, 3),
                             "end_s": round(r.end_s, 3), "verdict": r.verdict, "faults": r.faults}
                            for k, r in enumerate(session.reps)],
                   "events": session.events, "stats": stats.as_dict(),
                   "smoothing": dataclasses.asdict(live.smoothing)}
    if not raw.detected.any():
        raise InputError(f"{src.name}: no person was seen during the session")
    return finish(raw, out=out, video=vinfo, model={"name": resolved.name, "sha256": resolved.sha256},
                  warnings=warnings, settings=settings, video_path=str(source) if source is not None else None,
                  pdf=pdf, annotate=False, extra={"live": live_report})
