"""The live loop around :class:`knee_cv.live.LiveSession`: the camera or replayed video, the pose model, the
window, the voice, the set guide, the recording and the session's outputs (:func:`run_live`).
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

from .codes import Notice, WarningCode
from .meta import Session, session_date
from .cues import LiveSettings
from .errors import InputError, KneeCvError
from .guide import Exposure
from .present import GUIDANCE, Overlay, rep_text
from .reps import Exercise
from .sets import Phase, SetGuide
from .settings import Settings

from .live import LiveEvent, LiveSession

log = logging.getLogger(__name__)

__all__ = ["run_live"]


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


def light_hint(overlay: Overlay, exposure: Exposure) -> Overlay:
    """``overlay`` with "More light, please" as its banner when the person was too dark to place the knees surely
    over the last 3 s and nothing else is on the banner (calibration, guidance and the set speak first)."""
    if overlay.banner or not exposure.dark_now():
        return overlay
    return dataclasses.replace(overlay, banner=GUIDANCE["dark"])


class _Beside:
    """Someone beside the person, looked for at each calibration by MediaPipe in IMAGE mode, up to 3 people
    (45-60 ms: the person stands still, one or two frames go by unseen; opened with the pose model, about 90 ms):
    a banner for a few seconds and, at the end, a warning. The pose model follows one person and never reports
    another (:mod:`knee_cv.others`)."""

    HOLD_S = 5.0  # how long the banner stays

    def __init__(self) -> None:
        self.est, self.until, self.seen, self.looked, self._events = None, -1.0, 0, 0, 0

    def open(self, model) -> None:
        from .others import MAX_PEOPLE
        from .pose import PoseEstimator

        self.est = PoseEstimator(model, video=False, num_poses=MAX_PEOPLE).__enter__()

    def update(self, session: LiveSession, fr, xyz: np.ndarray, overlay: Overlay) -> Overlay:
        """Look when the session has calibrated since the last frame; ``overlay`` with the banner while it holds."""
        from .others import someone_beside

        new = session.events[self._events:]
        self._events = len(session.events)
        if self.est is not None and any(e.kind == "calibrated" for e in new) and np.isfinite(xyz[0, 0]):
            self.looked += 1
            if someone_beside(self.est, fr.image, xyz[:, :2].astype(np.float64)) is not None:
                self.seen, self.until = self.seen + 1, fr.t + self.HOLD_S
        if fr.t < self.until and not overlay.banner:
            return dataclasses.replace(overlay, banner=GUIDANCE["beside"])
        return overlay

    def notice(self) -> Notice | None:
        """The ``other_person`` warning for the report, when someone stood beside the person at a calibration."""
        from .present import beside_live_text

        return Notice(WarningCode.OTHER_PERSON, beside_live_text(self.seen, self.looked)) if self.seen else None

    def close(self) -> None:
        if self.est is not None:
            self.est.close()
            self.est = None


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
        self.exposure = Exposure()  # the person's brightness: a hint on screen, a warning in the report
        self.beside = _Beside()
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
        self.exposure.update(fr.image, xyz)
        overlay = self.beside.update(self.session, fr, xyz, light_hint(overlay, self.exposure))
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
        self.beside.close()
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
            loop.beside.open(resolved)
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
    if (dark := loop.exposure.notice()) is not None:
        warnings.append(dark)
    if (beside := loop.beside.notice()) is not None:
        warnings.append(beside)
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
