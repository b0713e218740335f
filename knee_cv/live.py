"""Live form feedback from a camera (or a video replayed as if it were one).

The same pose adapter, metrics, streaming rep segmenter, rep evaluation, view
rule, words and drawing as ``analyze`` are used; what differs is where frames
come from (a camera, paced in real time), the causal one-euro smoothing of what is
drawn and cued during a rep (a closed rep is judged on analyze's zero-phase smoothing),
and that reps are closed and judged while the person moves. :class:`LiveSession`
holds the per-frame state (no I/O); :func:`knee_cv.live_loop.run_live` is the loop around it.
"""
from __future__ import annotations

import bisect
import dataclasses
import logging

import numpy as np

from .codes import FaultCode, NotJudged, Side, Verdict
from .cues import CuePolicy, LiveSettings
from .faults import RepResult, judge_reps, valgus_measure
from .filtering import OneEuroFilter, OneEuroSettings, clean
from .frame_judge import FrameJudge, frame_marks
from .kinematics import Baseline, FrameMetrics, frame_metrics, standing_baseline
from .people import hips_and_size, reach_px
from .place import PlaceWatch, settled_since, standing_pose
from .present import GUIDANCE, MOVED, SOMEONE_ELSE, Overlay, Tone, rep_text
from .reps import Exercise, Rep, RepSegmenter, classify_exercise
from .settings import FaultSettings, Settings
from .track import ANKLE, LM, N_LANDMARKS, TOE, PoseTrack, outside_picture, unseen_outside
from .view import View, frame_views, rep_views, turn_deg, unknown_leads

log = logging.getLogger(__name__)

__all__ = ["LiveSession", "LiveSettings", "LiveRep", "LiveEvent"]


@dataclasses.dataclass(frozen=True)
class LiveRep:
    """A rep closed during the session; ``result`` holds its verdicts and faults."""

    number: int
    result: RepResult          # frame indices relative to the calibration it was measured after
    start_s: float
    bottom_s: float
    end_s: float              # when it closed (its verdict was given)
    message: str
    stood_s: float = float("nan")  # when it ended: the person stood up again


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


def _deep(d: float, segmenter: RepSegmenter, reps: list[LiveRep], settings: Settings, live: LiveSettings) -> bool:
    """Depth ``d`` is past the judged share of the expected depth, in a rep under way (cues are given only
    then); the expected depth is the median of the closed ``reps``."""
    trough, peak = segmenter.rise()
    if peak - trough < settings.reps.min_depth:
        return False
    expected = np.median([r.result.rep.depth for r in reps]) if reps else live.first_rep_depth
    return d >= settings.faults.judge_from_depth_fraction * min(expected, peak)


def _mixed(rep: LiveRep) -> LiveRep:
    """``rep``, closed after the camera or the person moved: not judged, its frames are from two pictures."""
    skip = Verdict.not_judged(NotJudged.CAMERA_MOVED)
    res = dataclasses.replace(rep.result, faults=(), knee_verdicts=(skip, skip), hip_verdict=skip, causes=(None, None))
    return dataclasses.replace(rep, result=res, message=rep_text((), (skip, skip), skip)[0])


def _last_verdict(reps: list[LiveRep]) -> tuple[str, Tone | None]:
    """The words and tone of the last rep's verdict ('' and None before the first)."""
    if not reps:
        return "", None
    res = reps[-1].result
    return rep_text(res.faults, res.knee_verdicts, res.hip_verdict)


class _Frames:
    """A session's frames so far: raw landmarks, their causal smoothing, and times."""

    def __init__(self, smoothing: OneEuroSettings, *, width: int, height: int, fps: float) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.raw_xyz: list[np.ndarray] = []
        self.raw_vis: list[np.ndarray] = []
        self.t: list[float] = []
        self.smooth_xyz: list[np.ndarray] = []
        self.filter = OneEuroFilter(smoothing)
        self.last_seen: tuple[np.ndarray, float, float] | None = None  # hip centre (px), body size (px), time (s)
        self.jumped = False  # the last frame's hips were out of a person's reach: the pose model follows someone else

    def _add(self, t: float, xyz: np.ndarray, vis: np.ndarray) -> float:
        """Keep one frame; returns its time, made later than the last (a camera's clock can stall). Sets
        :attr:`jumped` (:func:`knee_cv.people.reach_px` from where the hips were last seen)."""
        if self.t and t <= self.t[-1]:
            t = self.t[-1] + 1e-3
        c, size = hips_and_size(xyz[:, :2])
        size = float(size)
        seen, last = bool(np.isfinite(c).all() and np.isfinite(size)), self.last_seen
        self.jumped = seen and last is not None and float(np.linalg.norm(c - last[0])) > reach_px(last[1], t - last[2])
        self.last_seen = (c, size, t) if seen else last
        self.raw_xyz.append(xyz)
        self.raw_vis.append(vis)
        self.t.append(t)
        self.smooth_xyz.append(self.filter(xyz, t).astype(np.float32))
        return t

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


class LiveSession(_Frames):
    """Per-frame state: smoothing, calibration, metrics, rep closing, cues. Pure numpy, no I/O."""

    def __init__(self, settings: Settings = Settings(), live: LiveSettings = LiveSettings(), *,
                 width: int, height: int, fps: float, exercise: Exercise | None = None) -> None:
        super().__init__(live.smoothing, width=width, height=height, fps=fps)
        self.settings, self.live = settings, live
        self.baseline: Baseline | None = None
        self.calib_from = 0                    # frame index where the current calibration began
        self.rows: list[FrameMetrics] = []     # one row per frame since calibration
        self.m_from = 0                        # frame index of the first row
        self.segmenter: RepSegmenter | None = None
        self.watch: PlaceWatch | None = None   # whether the camera or the person moved since calibration
        self.reps: list[LiveRep] = []
        self.rep_offset = self.reps_since_calibration = 0  # the r key restarts numbering; reps before calibrating
        self.forced = exercise                 # the user's --exercise, else detected from the reps
        self.exercise = exercise or Exercise.SQUAT
        self.events: list[LiveEvent] = []
        self.cues = CuePolicy(live, settings.faults)
        self.guidance = self.calib_why = ""    # what to change; why the standing posture is measured again
        self.judge = FrameJudge()              # which knees of a frame may be cued or drawn judged

    # -- keys
    def recalibrate(self, why: str = "") -> None:  # why: shown while calibrating
        self.baseline, self.calib_why, self.calib_from = None, why, len(self.t)
        self.events.append(LiveEvent(self.t[-1] if self.t else 0.0, "recalibrate", text=why))

    def reset_counter(self) -> None:
        self.rep_offset = len(self.reps)
        self.events.append(LiveEvent(self.t[-1] if self.t else 0.0, "reset_counter"))

    # -- per frame
    def update(self, t: float, xyz: np.ndarray, vis: np.ndarray, image: np.ndarray | None = None) -> Overlay:
        """Add one frame; returns what to draw on it."""
        # a joint outside the picture is a guess: not detected, as analyze treats it
        xyz, vis = unseen_outside(xyz, vis, outside_picture(xyz[:, :2], self.width, self.height))
        t = self._add(t, xyz, vis)
        i = len(self.t) - 1
        if self.jumped:  # their reps (or standing, while calibrating) are not the same person's
            self.recalibrate(SOMEONE_ELSE)
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
            return Overlay(banner=(f"{self.calib_why}: c" if self.calib_why else "C") + "alibrating: stand still "
                           f"facing the camera ({self.live.calibration_s - span:.1f} s)")
        settle = min(self.live.calibration_settle_s, 0.4 * self.live.calibration_s)  # keep most of a short window
        settled = next((k for k in ok if self.t[k] >= self.t[ok[0]] + settle), ok[0])
        track = clean(self._track(self.raw_xyz, settled), self.settings.filters)
        base = standing_baseline(track)
        if base is None:
            self.calib_from = i + 1
            return Overlay(banner="Calibration failed: hips, knees and ankles must be visible")
        self._start(base, PlaceWatch(base, standing_pose(track, base), self.settings, self.fps), i, t)
        return Overlay(banner="Calibrated: start your reps")

    def _start(self, base: Baseline, watch: PlaceWatch, i: int, t: float, text: str = "") -> None:
        """Measure from frame ``i + 1`` on against the standing posture ``base`` (``text``: why it is new)."""
        self.baseline, self.watch, self.rows, self.m_from, self.calib_why = base, watch, [], i + 1, ""
        self.segmenter = RepSegmenter(self.fps, self.settings.reps)
        self.reps_since_calibration = len(self.reps)  # earlier reps index older metrics
        self.cues.start_rep()
        self.events.append(LiveEvent(t, "calibrated", text=text, leg_length_px=round(base.leg_length, 1)))
        log.info("calibrated at %.2f s, leg length %.0f px %s", t, base.leg_length, text)

    def _step(self, i: int, t: float) -> Overlay:
        if self.exercise is Exercise.SQUAT:  # planted feet: a lunge steps, a single-leg squat lifts one
            moved = self.watch.update(lambda n: self._track(self.raw_xyz, max(self.m_from, i + 1 - n), i + 1))
            if moved is not None:
                self._moved(moved, i, t)
        one = PoseTrack(self.smooth_xyz[i][None], self.raw_vis[i][None], np.array([t]), self.width, self.height,
                        self.fps)
        with np.errstate(invalid="ignore"):
            fm = frame_metrics(one, self.baseline, self.settings.trust)
        self.rows.append(fm)
        measure = valgus_measure(fm.fppa_deg, fm.depth, self.exercise, self.settings.faults)[0]
        cfg = self.settings.faults
        seen = self.judge.seen(fm, measure, self.rows[-2] if len(self.rows) > 1 else None, self.exercise, cfg)
        closed = self.segmenter.update(fm.depth)
        deep = _deep(float(np.nan_to_num(fm.depth[0])), self.segmenter, self.reps, self.settings, self.live) \
            and self.guidance != GUIDANCE["turn"]
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

    def _moved(self, base: Baseline, i: int, t: float) -> None:
        """The camera or the person moved: measure again from the frame the feet settled in the new place on,
        judging again the reps that started after it; a rep still under way then is not judged."""
        since = self._track(self.smooth_xyz, self.m_from, i + 1)  # smoothed already: no cleaning of the session
        start = min(self.m_from + settled_since(since, self.watch.pose, self.settings.reps.standing_margin_hip
                                                * base.leg_length), i - self.watch.frames + 1)
        at = self.t[start]
        again = {r.number for r in self.reps if r.start_s >= at}  # judged in the old picture, closed again below
        self.reps = [_mixed(r) if r.stood_s >= at else r for r in self.reps if r.start_s < at]
        start = max([start] + [bisect.bisect_right(self.t, r.stood_s) for r in self.reps if r.stood_s >= at])
        self.rep_offset = min(self.rep_offset, len(self.reps))  # the r key pressed since counts from there
        self.events = [e for e in self.events if not (e.kind == "rep" and e.rep in again)]
        self._start(base, self.watch, start - 1, t, MOVED)
        self.cues.note(t, MOVED)
        fm = frame_metrics(self._track(self.smooth_xyz, start, i), base, self.settings.trust)
        self.rows += [fm.slice(j, j + 1) for j in range(i - start)]
        for rep in self.segmenter.update(fm.depth):  # the same reps as frame by frame
            self._close(rep, t)

    def _so_far(self) -> tuple[PoseTrack, FrameMetrics]:
        """The frames of the movement under way (since the last rep ended): its track and metrics."""
        k = self.segmenter.origin
        return self._track(self.smooth_xyz, self.m_from + k), FrameMetrics.concat(self.rows[k:])

    def _close(self, rep: Rep, t: float) -> None:
        recent = [r.result.rep for r in self.reps[self.reps_since_calibration:]] + [rep]
        kind, lead = classify_latest(self.smooth_xyz[self.m_from:], recent, self.baseline, self.settings,
                                     self.forced)
        self.exercise = self.exercise if kind is Exercise.UNKNOWN else kind  # squat, lunge or single-leg squat
        rep = dataclasses.replace(rep, index=len(self.reps) + 1, lead_leg=lead)
        self.judge.new_rep()
        pre = min(rep.start, round(self.live.rep_lead_s * self.fps))  # frames before the rep
        rep, res = as_recorded(self._track(self.raw_xyz, self.m_from + rep.start - pre), pre, rep, self.baseline,
                               self.exercise, self.settings, named=self.forced is not None)
        message = self.cues.after(t, res)
        at = lambda k: float(self.t[self.m_from + k])  # noqa: E731
        self.reps.append(LiveRep(len(self.reps) + 1 - self.rep_offset, dataclasses.replace(res, rep=rep),
                                 at(rep.start), at(rep.bottom), t, message, at(rep.end)))
        self.events.append(LiveEvent(round(t, 3), "rep", len(self.reps) - self.rep_offset, text=message))

    def _overlay(self, t: float, fm: FrameMetrics, measure: np.ndarray, deep: bool, seen: np.ndarray,
                 sure: np.ndarray) -> Overlay:
        verdict, tone = _last_verdict(self.reps[self.rep_offset:])
        cue = self.cues.shown(t)
        extra = {"verdict_tone": tone} if tone else {}
        return Overlay(*frame_marks(fm, measure, deep, self.settings.faults.valgus(self.exercise).onset,
                                    self.settings.faults.hip_drop.onset, seen, sure),
                       len(self.reps) - self.rep_offset, verdict, cue=cue or self.guidance,
                       banner=self.guidance if cue else "", big_cue=True, **extra)


def classify_latest(smooth: list[np.ndarray], reps: list[Rep], base: Baseline, settings: Settings,
                    forced: Exercise | None) -> tuple[Exercise, Side | None]:
    """The exercise, and the lead (or standing) leg of the last rep, from the smoothed landmarks (``smooth``, one
    (33, 3) array per frame since calibration) at the starts and bottoms of the reps since calibration (only
    those frames are read)."""
    n = len(reps)
    xy = np.asarray([smooth[r.start] for r in reps] + [smooth[r.bottom] for r in reps], np.float32)[..., :2]
    kind, labelled = classify_exercise(xy, base.leg_length, [dataclasses.replace(r, start=k, bottom=n + k) for k, r in
                                                             enumerate(reps)], settings.reps, force=forced,
                                       roll_deg=base.roll_deg)
    return kind, (labelled[-1].lead_leg if kind is not Exercise.UNKNOWN else reps[-1].lead_leg)


def as_recorded(raw: PoseTrack, pre: int, rep: Rep, base: Baseline, exercise: Exercise, settings: Settings, *,
                named: bool = False) -> tuple[Rep, RepResult]:
    """A closed rep judged as analyze judges it from a recording; returns the rep with its bottom and depth as
    analyze reads them, and its result.

    The one-euro filter lags, and a lag near the bottom moves a knee's measure by a few degrees; a closed rep
    is in the past, so it is judged on analyze's zero-phase smoothing instead.

    Parameters
    ----------
    raw : PoseTrack
        Unsmoothed landmarks from ``pre`` frames before the rep's start to the current frame (the filter's
        edges then fall on standing frames).
    rep : Rep
        The rep as the live segmenter closed it (indices count from the calibration).
    named : bool
        The user named the exercise (``--exercise``), so the rep's lead leg holds from behind too.
    """
    track = clean(raw, settings.filters).slice(pre, pre + rep.end - rep.start + 1)
    with np.errstate(invalid="ignore"):
        metrics = frame_metrics(track, base, settings.trust)
    if np.isfinite(metrics.depth).any():  # the judged depth fraction is of the smoothed bottom, as in analyze
        k = int(np.nanargmax(metrics.depth))
        rep = dataclasses.replace(rep, bottom=rep.start + k, depth=float(metrics.depth[k]))
    res = judge_rep(track, base, metrics, rep, exercise, settings.faults, named=named)
    return dataclasses.replace(rep, lead_leg=res.rep.lead_leg), res


def judge_rep(track: PoseTrack, base: Baseline, metrics: FrameMetrics, rep: Rep, exercise: Exercise,
              cfg: FaultSettings, *, named: bool = False) -> RepResult:
    """One closed rep, judged by analyze's rules (the per-rep view and :func:`knee_cv.faults.judge_reps`) on
    its own frames: ``track`` and ``metrics`` cover the rep alone, from its start to its end. ``named``: the
    user named the exercise (else a lunge or single-leg squat filmed from behind has no lead leg)."""
    local = dataclasses.replace(rep, start=0, bottom=rep.bottom - rep.start, end=rep.end - rep.start)
    views = rep_views(track, metrics.depth, [local], base.leg_length, bilateral=not exercise.one_legged)
    if exercise.one_legged and not named:
        (local,) = unknown_leads([local], views)
    return judge_reps(track, base, metrics, [local], exercise, cfg, views)[1][0]
