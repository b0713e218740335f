"""Live form feedback from a camera (or a video replayed as if it were one).

The same pose adapter, metrics, streaming rep segmenter, rep evaluation, view
rule, words and drawing as ``analyze`` are used; what differs is where frames
come from (a camera, paced in real time), the causal one-euro smoothing, and
that reps are closed and judged while the person moves. :class:`LiveSession`
holds the per-frame state (no I/O); :func:`run_live` is the loop around it.
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

from .codes import FaultCode, Notice, Side, WarningCode
from .meta import Session, session_date
from .cues import CuePolicy, LiveSettings
from .errors import InputError, KneeCvError
from .faults import RepResult, judge_reps, valgus_measure
from .filtering import OneEuroFilter
from .frame_judge import FrameJudge, frame_marks
from .kinematics import Baseline, FrameMetrics, frame_metrics, standing_baseline
from .present import GUIDANCE, Overlay, rep_text
from .reps import Exercise, Rep, RepSegmenter, classify_exercise
from .sets import Phase, SetGuide
from .settings import FaultSettings, Settings
from .track import ANKLE, LM, N_LANDMARKS, TOE, PoseTrack
from .view import View, frame_views, rep_views, turn_deg

log = logging.getLogger(__name__)

__all__ = ["LiveSession", "LiveSettings", "LiveRep", "LiveEvent", "run_live"]


@dataclasses.dataclass(frozen=True)
class LiveRep:
    """A rep closed during the session; ``result`` holds its verdicts and faults."""

    number: int
    result: RepResult          # frame indices relative to the calibration it was measured after
    start_s: float
    bottom_s: float
    end_s: float
    message: str


@dataclasses.dataclass(frozen=True)
class LiveEvent:
    """Something that happened during the session, for report.json's ``live.events``."""

    t: float
    kind: str                  # calibrated | recalibrate | reset_counter | cue | rep | set
    rep: int = 0
    code: FaultCode | None = None
    side: Side | None = None
    text: str = ""
    leg_length_px: float | None = None


def guidance(xyz: np.ndarray, vis: np.ndarray, image: np.ndarray | None, *, height: int,
             min_visibility: float, max_turn_deg: float = 30.0, upright: bool = True) -> str:
    """What the person should change for this frame to be usable ('' when nothing), from one frame's landmarks.

    Parameters
    ----------
    xyz : ndarray, shape (33, 3)
    vis : ndarray, shape (33,)
    """
    dark = image is not None and float(image.mean()) < 50
    if np.isnan(xyz[LM.LEFT_HIP, 0]):
        return GUIDANCE["dark" if dark else "no_person"]
    feet = np.r_[ANKLE, TOE]
    if (vis[feet] < min_visibility).any() or (xyz[feet, 1] > height * 0.99).any():
        return GUIDANCE["feet"]
    leg = float(np.mean(np.linalg.norm(xyz[[LM.LEFT_HIP, LM.RIGHT_HIP], :2] - xyz[ANKLE, :2], axis=-1)))
    if frame_views(xyz[None, :, :2], leg)[0] is not View.FRONT:
        return GUIDANCE["turn"]
    one = PoseTrack(xyz[None].astype(np.float32), vis[None].astype(np.float32), np.zeros(1), max(int(height), 1),
                    max(int(height), 1), 30.0)
    # the same turn rule as analyze (turned reps judge nothing); read standing: deep, the head comes forward
    if upright and abs(float(turn_deg(one)[0])) > max_turn_deg:
        return GUIDANCE["turn"]
    if dark and float(np.mean(vis[23:])) < 0.7:
        return GUIDANCE["dark"]
    return ""


def _upright(xyz: np.ndarray, base: Baseline | None) -> bool:
    """Standing, or not yet calibrated: the hips less than a quarter leg length below standing."""
    hips = xyz[[LM.LEFT_HIP, LM.RIGHT_HIP], 1]
    if base is None or not np.isfinite(hips).any():  # no hips seen: no reason to hold back the turn rule
        return True
    return not float(np.nanmean(hips)) - base.hip_y > 0.25 * base.leg_length


class LiveSession:
    """Per-frame state: smoothing, calibration, metrics, rep closing, cues. Pure numpy, no I/O."""

    def __init__(self, settings: Settings = Settings(), live: LiveSettings = LiveSettings(), *,
                 width: int, height: int, fps: float, exercise: Exercise | None = None) -> None:
        self.settings, self.live = settings, live
        self.width, self.height, self.fps = width, height, fps
        self.raw_xyz: list[np.ndarray] = []
        self.raw_vis: list[np.ndarray] = []
        self.t: list[float] = []
        self.smooth_xyz: list[np.ndarray] = []
        self.filter = OneEuroFilter(live.smoothing)
        self.baseline: Baseline | None = None
        self.calib_from = 0                    # frame index where the current calibration began
        self.rows: list[FrameMetrics] = []     # one row per frame since calibration
        self.m_from = 0                        # frame index of the first row
        self.segmenter: RepSegmenter | None = None
        self.reps: list[LiveRep] = []
        self.rep_offset = 0                    # the r key restarts numbering
        self.reps_since_calibration = 0
        self.forced = exercise                 # the user's --exercise, else detected from the reps
        self.exercise = exercise or Exercise.SQUAT
        self.events: list[LiveEvent] = []
        self.cues = CuePolicy(live, settings.faults)
        self.guidance = ""
        self.judge = FrameJudge()              # which knees of a frame may be cued or drawn judged

    # -- keys
    def recalibrate(self) -> None:
        self.baseline = None
        self.calib_from = len(self.t)
        self.events.append(LiveEvent(self.t[-1] if self.t else 0.0, "recalibrate"))

    def reset_counter(self) -> None:
        self.rep_offset = len(self.reps)
        self.events.append(LiveEvent(self.t[-1] if self.t else 0.0, "reset_counter"))

    def raw_track(self) -> PoseTrack:
        return self._track(self.raw_xyz)

    def _track(self, xyz_list, start: int = 0, stop: int | None = None) -> PoseTrack:
        """Frames ``start:stop`` of the session as a track (``xyz_list``: raw or smoothed landmarks)."""
        stop = len(self.t) if stop is None else stop
        n = stop - start
        xyz = np.asarray(xyz_list[start:stop], np.float32).reshape(n, N_LANDMARKS, 3)
        vis = np.asarray(self.raw_vis[start:stop], np.float32).reshape(n, N_LANDMARKS)
        return PoseTrack(xyz, vis, np.asarray(self.t[start:stop]) if n else np.zeros(0), self.width, self.height,
                         self.fps)

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
        self.guidance = guidance(xyz, vis, image, height=self.height, min_visibility=self.settings.trust.min_visibility,
                                 max_turn_deg=self.settings.faults.max_yaw_deg, upright=_upright(xyz, self.baseline))
        if self.baseline is None:
            return self._calibrate(i, t)
        return self._step(i, t)

    def _calibrate(self, i: int, t: float) -> Overlay:
        ok = [k for k in range(self.calib_from, i + 1) if not np.isnan(self.raw_xyz[k][LM.LEFT_HIP, 0])]
        span = self.t[i] - self.t[ok[0]] if ok else 0.0
        if self.guidance:
            self.calib_from = i + 1  # start over once the whole body is in view
            return Overlay(banner="Calibration paused", cue=self.guidance, big_cue=True)
        if span < self.live.calibration_s:
            return Overlay(banner=f"Calibrating: stand still facing the camera "
                                  f"({self.live.calibration_s - span:.1f} s)")
        base = standing_baseline(self._track(self.smooth_xyz, self.calib_from))
        if base is None:
            self.calib_from = i + 1
            return Overlay(banner="Calibration failed: hips, knees and ankles must be visible")
        self.baseline, self.rows, self.m_from = base, [], i + 1
        self.segmenter = RepSegmenter(self.fps, self.settings.reps)
        self.reps_since_calibration = len(self.reps)  # earlier reps index older metrics
        self.cues.start_rep()
        self.events.append(LiveEvent(t, "calibrated", leg_length_px=round(base.leg_length, 1)))
        log.info("calibrated at %.2f s, leg length %.0f px", t, base.leg_length)
        return Overlay(banner="Calibrated: start your reps")

    def _step(self, i: int, t: float) -> Overlay:
        one = PoseTrack(self.smooth_xyz[i][None], self.raw_vis[i][None], np.array([t]), self.width, self.height,
                        self.fps)
        with np.errstate(invalid="ignore"):
            fm = frame_metrics(one, self.baseline, self.settings.trust)
        self.rows.append(fm)
        measure = valgus_measure(fm.fppa_deg, fm.depth, self.exercise, self.settings.faults)[0]
        cfg = self.settings.faults
        seen = self.judge.seen(fm, measure, self.rows[-2] if len(self.rows) > 1 else None, self.exercise, cfg)
        closed = self.segmenter.update(fm.depth)
        deep = self._deep(float(np.nan_to_num(fm.depth[0]))) and self.guidance != GUIDANCE["turn"]
        sure = self.judge.sure(fm, one, self.baseline, measure, self.exercise, cfg, self._so_far) if deep else \
            np.ones(2, bool)
        if deep:
            n = len(self.reps) + 1 - self.rep_offset
            for code, side, text in self.cues.during(t, measure, seen & sure, float(fm.pelvic_drop_deg[0]),
                                                     bool(fm.pelvis_trusted[0]), self.exercise):
                self.events.append(LiveEvent(round(t, 3), "cue", n, code, side, text))
        for rep in closed:
            self._close(rep, t)
        return self._overlay(t, fm, measure, deep, seen, sure)

    def _so_far(self) -> tuple[PoseTrack, FrameMetrics]:
        """The frames of the movement under way (since the last rep ended): its track and metrics."""
        k = self.segmenter.origin
        return self._track(self.smooth_xyz, self.m_from + k), FrameMetrics.concat(self.rows[k:])

    def _deep(self, d: float) -> bool:
        """Past the judged share of the expected depth, in a rep under way (cues are given only then)."""
        trough, peak = self.segmenter.rise()
        if peak - trough < self.settings.reps.min_depth:
            return False
        expected = np.median([r.result.rep.depth for r in self.reps]) if self.reps else self.live.first_rep_depth
        return d >= self.settings.faults.judge_from_depth_fraction * min(expected, peak)

    def _close(self, rep: Rep, t: float) -> None:
        recent = [r.result.rep for r in self.reps[self.reps_since_calibration:]] + [rep]
        kind, lead = classify_latest([self.smooth_xyz[self.m_from + r.bottom] for r in recent], recent,
                                     self.baseline.leg_length, self.settings, self.forced)
        self.exercise = self.exercise if kind is Exercise.UNKNOWN else kind  # squat, lunge or single-leg squat
        rep = dataclasses.replace(rep, index=len(self.reps) + 1, lead_leg=lead)
        self.judge.new_rep()
        lo, hi = self.m_from + rep.start, self.m_from + rep.end + 1  # the rep closes a few frames after its end
        res = judge_rep(self._track(self.smooth_xyz, lo, hi), self.baseline, self.rows[rep.start:rep.end + 1], rep,
                        self.exercise, self.settings.faults)
        message = self.cues.after(t, res)
        at = lambda k: float(self.t[self.m_from + k])  # noqa: E731
        self.reps.append(LiveRep(len(self.reps) + 1 - self.rep_offset, dataclasses.replace(res, rep=rep),
                                 at(rep.start), at(rep.bottom), t, message))
        self.events.append(LiveEvent(round(t, 3), "rep", len(self.reps) - self.rep_offset, text=message))

    def _overlay(self, t: float, fm: FrameMetrics, measure: np.ndarray, deep: bool, seen: np.ndarray,
                 sure: np.ndarray) -> Overlay:
        last = self.reps[-1] if len(self.reps) > self.rep_offset else None
        verdict, tone = rep_text(last.result.faults, last.result.knee_verdicts, last.result.hip_verdict) \
            if last else ("", None)
        cue = self.cues.shown(t)
        extra = {"verdict_tone": tone} if tone else {}
        return Overlay(*frame_marks(fm, measure, deep, self.settings.faults.valgus(self.exercise).onset,
                                    self.settings.faults.hip_drop.onset, seen, sure),
                       len(self.reps) - self.rep_offset, verdict, cue=cue or self.guidance,
                       banner=self.guidance if cue else "", big_cue=True, **extra)


def classify_latest(bottoms: list[np.ndarray], reps: list[Rep], leg_length: float, settings: Settings,
                    forced: Exercise | None) -> tuple[Exercise, Side | None]:
    """The exercise, and the lead (or standing) leg of the last rep, from the landmarks at the bottoms of the reps
    since calibration (``bottoms``, one (33, 3) array per rep; only those frames are read)."""
    xy = np.asarray(bottoms, np.float32)[..., :2]
    kind, labelled = classify_exercise(xy, leg_length, [dataclasses.replace(r, bottom=k) for k, r in enumerate(reps)],
                                       settings.reps, force=forced)
    return kind, (labelled[-1].lead_leg if kind is not Exercise.UNKNOWN else reps[-1].lead_leg)


def judge_rep(track: PoseTrack, base: Baseline, rows: list[FrameMetrics], rep: Rep, exercise: Exercise,
              cfg: FaultSettings) -> RepResult:
    """One closed rep, judged by analyze's rules (the per-rep view and :func:`knee_cv.faults.judge_reps`) on
    its own frames: ``track`` and ``rows`` cover the rep alone, from its start to its end."""
    metrics = FrameMetrics.concat(rows)
    local = dataclasses.replace(rep, start=0, bottom=rep.bottom - rep.start, end=rep.end - rep.start)
    views = rep_views(track, metrics.depth, [local], base.leg_length, bilateral=not exercise.one_legged)
    return judge_reps(track, base, metrics, [local], exercise, cfg, views)[1][0]


# --- the loop --------------------------------------------------------------------------

@dataclasses.dataclass
class LiveStats:
    frames: int = 0
    dropped: int = 0
    latency_ms: list[float] = dataclasses.field(default_factory=list)
    first: float | None = None     # perf_counter of the first and last drawn frame
    last: float | None = None

    @property
    def fps(self) -> float | None:
        """Steady-state frames per second (start-up excluded)."""
        span = (self.last - self.first) if self.first is not None and self.last is not None else 0.0
        return (self.frames - 1) / span if span > 0 else None


def _check_display(headless: bool) -> None:
    if not headless and sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                                  or os.environ.get("WAYLAND_DISPLAY")):
        # Qt would abort the process; say what to do instead
        raise InputError("no display to show the live window on (DISPLAY is not set): add --headless, "
                         "and --record FILE.mp4 to keep the annotated stream")


class _Loop:
    """One frame in, one drawn frame out: pose, session update, drawing, window, voice, set, recording, keys."""

    WINDOW = "knee-cv live"

    def __init__(self, settings: Settings, live: LiveSettings, *, fps: float, out: Path, headless: bool,
                 record: Path | None, exercise: Exercise | None = None, voice=None, guide=None) -> None:
        from .live_view import LiveView
        from .render import LowerBodyAnnotator

        self.settings, self.live, self.fps, self.out = settings, live, fps, out
        self.headless, self.record, self.exercise = headless, record, exercise
        self.stats, self.ann, self.view = LiveStats(), LowerBodyAnnotator(), LiveView()
        self.session: LiveSession | None = None
        self.sink = None
        self.snapshots = 0
        self.voice, self.guide = voice, guide
        self.keys, self.fullscreen, self._heard = True, False, 0
        self.step_state = None  # the set's state on the last frame
        if not headless:
            _window_open(self.WINDOW)

    def step(self, fr, est) -> bool:
        """Process one frame; False when the user asked to quit or the set is over."""
        from .render import VideoSink

        if self.session is None:
            h, w = fr.image.shape[:2]
            self.session = LiveSession(self.settings, self.live, width=w, height=h, fps=self.fps,
                                       exercise=self.exercise)
            log.info("live: first frame in (%dx%d at %.1f fps)", w, h, self.fps)  # a wrapper can wait for this
            if self.record:
                self.sink = VideoSink(self.record, self.fps, (w, h))
        xyz, vis = est.process(fr.image, fr.t)
        overlay = self.session.update(fr.t, xyz, vis, fr.image)
        view = cv2.flip(fr.image, 1)                  # a mirror is what people expect to see
        mirrored = self.session.smooth_xyz[-1][:, :2].copy()
        mirrored[:, 0] = view.shape[1] - 1 - mirrored[:, 0]
        going = self._set(fr.t)
        if self.sink is not None:  # the recording keeps the texts on the picture: it has no panel
            self.sink.write(self.ann.annotate(view.copy(), mirrored, overlay))
        self._speak()
        if not self.headless:
            skeleton = dataclasses.replace(overlay, rep=0, verdict="", cue="", banner="", values=(), legend=False)
            self.ann.annotate(view, mirrored, skeleton)
            going = self._window(view, self._panel(fr.t, overlay)) and going
        st = self.stats
        st.last = time.perf_counter()
        st.first = st.first or st.last
        st.latency_ms.append(1000 * (st.last - fr.captured))
        st.frames += 1
        return going

    def _set(self, t: float) -> bool:
        """Advance the guided set; False once every set is done."""
        if self.guide is None:
            return True
        s, before = self.session, self.step_state.phase if self.step_state else None
        self.step_state = self.guide.update(t, s.baseline is not None, len(s.reps) - s.rep_offset)
        if self.step_state.phase is not before:
            s.events.append(LiveEvent(round(t, 3), "set", text=f"{self.step_state.phase.value}: "
                                                               f"{self.step_state.banner}".rstrip(": ")))
        if self.step_state.recalibrate:
            s.recalibrate()
        if self.step_state.speak and self.voice is not None:
            self.voice.say(self.step_state.speak)
        return self.step_state.phase is not Phase.FINISHED

    def _speak(self) -> None:
        """Cues as they are given (during the descent) and, outside a set, the rep count."""
        events = self.session.events
        for e in events[self._heard:]:
            if self.voice is None:
                break
            if e.kind == "cue":
                self.voice.say(e.text)
            elif e.kind == "rep" and self.guide is None:
                self.voice.say(str(e.rep))
        self._heard = len(events)

    def _panel(self, t: float, overlay: Overlay):
        from .live_view import Panel
        from .present import set_summary

        s, st = self.session, self.step_state
        last = s.reps[-1] if len(s.reps) > s.rep_offset else None
        verdict, tone, alpha = "", None, 0.0
        if last is not None:
            verdict, tone = rep_text(last.result.faults, last.result.knee_verdicts, last.result.hip_verdict)
            alpha = float(np.clip(1 - (t - last.end_s - self.live.verdict_hold_s) / self.live.verdict_fade_s, 0, 1))
        banner, summary, count, target = overlay.banner, (), len(s.reps) - s.rep_offset, None
        if st is not None:
            count, target = st.count, st.target
            banner = st.banner or banner
            if st.phase is Phase.DONE and self.guide.sets:
                leg, first, last_n = self.guide.sets[-1]
                summary = set_summary([r.result for r in s.reps if first <= r.number <= last_n])
        return Panel(count, target, verdict, tone, alpha, overlay.cue, banner, summary, self.keys)

    def _window(self, view: np.ndarray, panel) -> bool:
        size = _window_size(self.WINDOW)
        cv2.imshow(self.WINDOW, self.view.compose(view, panel, size))
        key = cv2.waitKey(1) & 0xFF
        if key == ord("c"):
            self.session.recalibrate()
        elif key == ord("r"):
            self.session.reset_counter()
        elif key == ord("s"):
            self.snapshots += 1
            cv2.imwrite(str(self.out / f"snapshot_{self.snapshots}.png"), self.view.compose(view, panel, size))
        elif key == ord("f"):
            self.fullscreen = not self.fullscreen
            cv2.setWindowProperty(self.WINDOW, cv2.WND_PROP_FULLSCREEN,
                                  cv2.WINDOW_FULLSCREEN if self.fullscreen else cv2.WINDOW_NORMAL)
        elif key == ord("h"):
            self.keys = not self.keys
        return key != ord("q")

    def close(self) -> None:
        if self.sink is not None:
            self.sink.close()
        if self.voice is not None:
            self.voice.close()
        if not self.headless:
            cv2.destroyAllWindows()


def _quiet_qt() -> None:
    """Give Qt a font folder (matplotlib's) and mute its font-database chatter, before the first window."""
    if "QT_QPA_FONTDIR" not in os.environ:
        import matplotlib

        os.environ["QT_QPA_FONTDIR"] = str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
    os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.fonts=false;qt.qpa.*.warning=false")


def _screen_size() -> tuple[int, int]:
    """The screen's size in pixels (X11's xdpyinfo); 1280x720 when it cannot be told."""
    import shutil
    import subprocess

    exe = shutil.which("xdpyinfo")
    if exe:
        try:
            out = subprocess.run([exe], capture_output=True, text=True, timeout=3).stdout
            w, h = next(ln.split()[1] for ln in out.splitlines() if "dimensions:" in ln).split("x")
            return int(w), int(h)
        except (OSError, subprocess.SubprocessError, StopIteration, ValueError):
            pass
    return 1280, 720


def _window_open(name: str) -> None:
    """A resizable window filling 90 % of the screen (keeping the screen's shape); f makes it full screen."""
    _quiet_qt()
    sw, sh = _screen_size()
    # free ratio: the picture is composed at the window's own size, so it fills it undistorted; no Qt toolbar
    cv2.namedWindow(name, cv2.WINDOW_NORMAL | cv2.WINDOW_FREERATIO | cv2.WINDOW_GUI_NORMAL)
    cv2.resizeWindow(name, int(sw * 0.9), int(sh * 0.9))
    cv2.moveWindow(name, int(sw * 0.05), int(sh * 0.05))


def _window_size(name: str) -> tuple[int, int]:
    """The window's inner size now (the picture is drawn at it, so text stays sharp), at most 1920 wide."""
    try:
        _, _, w, h = cv2.getWindowImageRect(name)
    except cv2.error:
        w = h = 0
    if w < 320 or h < 240:
        w, h = 1280, 720
    if w > 1920:
        w, h = 1920, int(h * 1920 / w)
    return w, h


def run_live(*, camera: int | str = 0, source: str | Path | None = None, out: str | Path | None = None,
             model: str = "full", settings: Settings = Settings(), live: LiveSettings = LiveSettings(),
             headless: bool = False, record: str | Path | None = None, pdf: bool = True,
             max_seconds: float | None = None, realtime: bool = True, exercise: Exercise | None = None,
             session_meta: Session = Session(), voice=False, set_reps: int | SetGuide | None = None,
             sides: bool = False):
    """Run a live session until q, the end of ``source``, a camera disconnect, or ``max_seconds``.

    Returns the :class:`knee_cv.api.Result` of the session (same outputs as ``analyze``), with the
    live per-rep verdicts, cues and timing under ``report["live"]``. ``session_meta`` names the subject,
    the date (default: now, or the replayed file's recording time) and notes. ``voice`` speaks the cues
    and the count; ``set_reps`` counts the person through a set (``sides``: a single-leg set on each leg)
    and ends the session when it is done (a :class:`knee_cv.sets.SetGuide` instead of a number: its own set).
    """
    from . import models
    from .files import ensure_dir, stop_on_signals
    from .pose import PoseEstimator
    from .sources import CameraSource, ReplaySource

    _check_display(headless)
    if isinstance(camera, int) and camera < 0:
        raise InputError(f"--camera {camera}: a camera index is 0 or more")
    if record is not None:  # refused before the camera opens, so no session is lost to a bad path
        record = Path(record)
        if record.is_dir() or record.suffix.lower() not in (".mp4", ".m4v", ".mov"):
            raise InputError(f"--record {record}: give a file name ending in .mp4")
        ensure_dir(record.parent, "folder for --record")
    resolved = models.resolve(model)
    src = ReplaySource(source, realtime=realtime) if source is not None else CameraSource(camera)
    try:
        out = ensure_dir(Path(out) if out else Path("knee_cv_out") / f"live_{time.strftime('%Y%m%d_%H%M%S')}")
    except KneeCvError:
        src.close()
        raise
    if isinstance(set_reps, int) and set_reps < 1:
        src.close()
        raise InputError(f"--set {set_reps}: a set has at least 1 rep")
    guide = set_reps if isinstance(set_reps, SetGuide) else SetGuide(set_reps, sides=sides) if set_reps else None
    loop = _Loop(settings, live, fps=src.fps, out=out, headless=headless, record=Path(record) if record else None,
                 exercise=exercise, voice=_voice(voice) if voice else None, guide=guide)
    try:
        with stop_on_signals(), PoseEstimator(resolved) as est:  # SIGTERM/SIGHUP save the session like q
            t_start = time.perf_counter()  # max_seconds is the session's length, not the model's loading time
            for fr in src:
                if not loop.step(fr, est) or (max_seconds is not None and time.perf_counter() - t_start > max_seconds):
                    break
    except KeyboardInterrupt:
        log.warning("interrupted: writing the session so far")
    finally:
        src.close()
        loop.close()
    loop.stats.dropped = src.dropped
    return _session_result(loop, src, resolved, out=out, source=source, settings=settings, pdf=pdf,
                           meta=session_meta)


def _voice(voice):
    """A started :class:`knee_cv.voice.Voice` (``voice`` may be one already), or None after one warning line
    when there is no speech."""
    from .voice import Voice

    v = voice if isinstance(voice, Voice) else Voice()
    if not v.ready():
        print(f"knee-cv: no voice: {v.error or 'the speech engine did not start'}; going on silently",
              file=sys.stderr)
        return None
    return v


def _replay_warnings(src) -> list[Notice]:
    """A replayed file that ran out early, or had damaged stretches, says so as ``analyze`` does."""
    from .meta import ends_early
    from .present import damaged_text, truncated_text

    out = []
    if getattr(src, "gaps", None):
        out.append(Notice(WarningCode.VIDEO_DAMAGED, damaged_text(src.gaps)))
    if getattr(src, "ended", False) and ends_early(src.decoded, src.info.frames):
        out.append(Notice(WarningCode.VIDEO_TRUNCATED, truncated_text(src.decoded, src.info.frames)))
    return out


def _session_result(loop: _Loop, src, resolved, *, out: Path, source, settings: Settings, pdf: bool,
                    meta: Session):
    """Write the session's outputs through the same writer as ``analyze``."""
    from .api import OutputOptions, finish
    from .meta import ModelMeta, VideoMeta
    from .report import live_section

    session = loop.session
    if session is None or not session.t:
        raise InputError(f"{src.name}: no frames were received")
    raw = session.raw_track()
    if not raw.detected.any():
        raise InputError(f"{src.name}: no person was seen during the session")
    warnings = []
    if src.disconnected:
        warnings.append(Notice(WarningCode.CAMERA_DISCONNECTED,
                               f"{src.name} disconnected after {raw.t[-1]:.1f} s; the session up to then was kept"))
    warnings += _replay_warnings(src)
    if session.baseline is None:
        warnings.append(Notice(WarningCode.CALIBRATION_INCOMPLETE, "calibration never completed: stand still, whole "
                               f"body in view, for {session.live.calibration_s:g} s at the start"))
    video = dataclasses.replace(VideoMeta.from_track(raw, str(source) if source is not None else src.name, live=True),
                                fps=round(src.fps, 3))
    if meta.date is None:
        meta = dataclasses.replace(meta, date=session_date(str(source) if source is not None else None))
    return finish(raw, video=video, model=ModelMeta(resolved.name, resolved.sha256), out=out, settings=settings,
                  options=OutputOptions(pdf=pdf, annotate=False, draw_on=str(source) if source is not None else None),
                  warnings=warnings, exercise=session.forced, extra={"live": live_section(session, loop.stats)},
                  session=meta)
