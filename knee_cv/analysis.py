"""From a raw landmark track to reps, faults and a training plan (pure, no I/O)."""
from __future__ import annotations

import dataclasses

import numpy as np

from .cause import hint_maker
from .camera import CameraCuts, cut_text, find_cuts, shot_depth, where
from .codes import Notice, NotJudged, ViewClass
from .codes import WarningCode as W
from .exercises import Plan, build_plan
from .faults import FaultSummary, RepResult, judge_reps, summarize
from .filtering import clean
from .kinematics import Baseline, FrameMetrics, frame_metrics, posture_moved, standing_baseline
from .reps import Exercise, Rep, RepSettings, classify_exercise, segment_reps
from .settings import Settings
from .track import PoseTrack
from .people import drop_other_people
from .place import feet_drift, find_moves
from .present import moved_text, moving_text, other_person_text, rotation_hint, too_small_text
from .view import (SIDEWAYS_DEG, RepView, TurnCues, View, body_axis_deg, classify_view, judging_block, rep_views,
                   standing_turn, turn_cues, unknown_leads, view_class)

@dataclasses.dataclass(frozen=True)
class Analysis:
    """Everything knee-cv concludes about one track.

    ``valgus_measure`` is the per-frame judged knee value, shape (T, 2), degrees (see
    :func:`knee_cv.faults.valgus_measure`).
    """

    raw: PoseTrack
    track: PoseTrack
    baseline: Baseline | None
    metrics: FrameMetrics | None
    valgus_measure: np.ndarray | None
    view: View
    yaw_deg: float
    exercise: Exercise
    reps: tuple[RepResult, ...]
    faults: tuple[FaultSummary, ...]
    plan: Plan
    warnings: tuple[str, ...]
    settings: Settings

    @property
    def view_class(self) -> ViewClass:
        """The view as a coach names it: front, back, side, oblique_front (a front view turned beyond the judged
        range in most reps), oblique_back or unknown."""
        return view_class(self.view, self.yaw_deg, [r.view for r in self.reps], self.settings.faults.max_yaw_deg)


def analyze_track(raw: PoseTrack, settings: Settings = Settings(), *, smooth: bool = True,
                  exercise: Exercise | None = None) -> Analysis:
    """Run the whole numpy core on a landmark track.

    Parameters
    ----------
    raw : PoseTrack
        Landmarks as estimated (unsmoothed).
    smooth : bool
        Zero-phase filtering for recorded video; live mode passes a track that
        is already causally filtered and sets this False.
    exercise : Exercise, optional
        The movement, when the user overrides the automatic detection.
    """
    forced = exercise
    track, cuts, warnings = _subject(raw, settings, smooth)
    base = standing_baseline(track)
    picture = cuts.to_picture(track) if cuts else track  # what is drawn goes where it was filmed
    empty = dict(raw=raw, track=picture, baseline=base, metrics=None, valgus_measure=None, reps=(), faults=(),
                 plan=Plan(), settings=settings)
    if base is None:
        warnings.append(Notice(W.LOWER_BODY_HIDDEN, "the hips, knees and ankles were never all visible: no reps can "
                               "be measured; step back so the whole body, feet included, is in view"))
        return Analysis(view=View.UNKNOWN, yaw_deg=float("nan"), exercise=forced or Exercise.UNKNOWN,
                        warnings=tuple(warnings),
                        **empty)
    base, metrics, reps = _where_squatting(track, base, settings, cuts)
    empty["baseline"] = base
    view = classify_view(track, base.leg_length)
    cues = turn_cues(track)
    yaw = standing_turn(track, cues, base.frames, view)  # standing: the head is over the shoulders
    axes = body_axis_deg(track)
    exercise, reps, views = _exercise(track, base, metrics, reps, settings, forced, view, cues, axes)
    axis = float(np.nanmedian(axes)) if np.isfinite(axes).any() else 0.0
    sideways = abs(axis) > SIDEWAYS_DEG
    if sideways:  # lying across the picture (or upside down): its "side view" is a rotated front view
        view = View.UNKNOWN
        warnings.append(Notice(W.PICTURE_SIDEWAYS, rotation_hint(axis)))
    else:
        warnings += _view_warnings(view, yaw, judging_block(view, yaw, settings.faults.max_yaw_deg), views,
                                   settings)
    if not reps:  # in a picture not upright the hips' drop is not a drop in the picture
        warnings.append(Notice(W.NO_REPS, "no reps found: " + (
            "the picture is not upright, so the hips' drop cannot be read" if sideways else
            f"the hips never dropped by more than {settings.reps.min_depth:.0%} of leg length below standing")))
    measure, results = judge_reps(track, base, metrics, reps, exercise, settings.faults, views,
                                  hints=hint_maker(track, base))
    warnings += _knee_warnings(results, settings, base.toe_out_deg, settings.faults.min_frames(track.t))
    if reps and base.leg_length < settings.faults.min_leg_px:
        warnings.append(Notice(W.PERSON_SMALL, too_small_text(base.leg_length, settings.faults.min_leg_px)))
    drift = feet_drift(track, reps, base.leg_length, [v.view for v in views]) \
        if exercise is Exercise.SQUAT else 0.0  # the feet stay planted
    if drift > settings.cuts.max_feet_drift:
        warnings.append(Notice(W.CAMERA_MOVING, moving_text(drift)))
    summary = summarize(results)
    return dataclasses.replace(
        Analysis(view=view, yaw_deg=yaw, exercise=exercise, warnings=tuple(warnings), **empty),
        metrics=metrics, valgus_measure=measure, reps=tuple(results), faults=tuple(summary),
        plan=build_plan(summary, drivers=[c.driver for r in results for c in r.causes if c is not None]))


def _exercise(track: PoseTrack, base: Baseline, metrics: FrameMetrics, reps: list[Rep], settings: Settings,
              forced: Exercise | None, view: View, cues: TurnCues, axes: np.ndarray
              ) -> tuple[Exercise, list[Rep], list[RepView]]:
    """The exercise, the reps with their lead legs, and each rep's view (:func:`knee_cv.view.rep_views`).

    A side view is a squat unless named (its feet and knees stand one behind the other); a lunge or single-leg
    squat told apart by itself has no lead leg in the reps filmed from behind (:func:`knee_cv.view.unknown_leads`).
    """
    exercise, reps = classify_exercise(track.xy, base.leg_length, reps, settings.reps, force=forced,
                                       roll_deg=base.roll_deg)
    if view is View.SIDE and forced is None:
        exercise = Exercise.SQUAT if reps else Exercise.UNKNOWN
        reps = [dataclasses.replace(r, lead_leg=None) for r in reps]
    views = rep_views(track, metrics.depth, reps, base.leg_length, cues, axes, bilateral=not exercise.one_legged)
    if exercise.one_legged and forced is None:
        reps = unknown_leads(reps, views)
    return exercise, reps, views


def _measure(track: PoseTrack, base: Baseline, settings: Settings, cuts: CameraCuts | None
             ) -> tuple[FrameMetrics, list[Rep]]:
    """Per-frame measures and the reps they show, against the standing posture ``base``."""
    metrics = frame_metrics(track, base, settings.trust)
    if cuts:  # each shot's depth from its own standing height: independent of the fitted zoom
        metrics = dataclasses.replace(metrics, depth=shot_depth(metrics.depth, track, base, cuts.frames))
    return metrics, segment_reps(metrics.depth, track.fps, settings.reps)


def _where_squatting(track: PoseTrack, base: Baseline, settings: Settings, cuts: CameraCuts | None
                     ) -> tuple[Baseline, FrameMetrics, list[Rep]]:
    """The standing posture read again where the person squats (within ``settings.reps.standing_near_s`` of
    a rep), with the measures and reps against it.

    Frames of someone walking into place, nearer or farther, are standing frames too: 3 s of a walk-in put
    before a real clip moved its standing leg length and so every depth (README, "What is measured").
    """
    metrics, reps = _measure(track, base, settings, cuts)
    near = np.zeros(len(track), bool)
    pad = int(round(settings.reps.standing_near_s * track.fps))
    for r in reps:
        near[max(0, r.start - pad):r.end + pad + 1] = True
    local = standing_baseline(track, among=near) if reps else None
    if local is None or not _moved(local, base, settings.reps):
        return base, metrics, reps
    return (local, *_measure(track, local, settings, cuts))


def _moved(local: Baseline, base: Baseline, cfg: RepSettings) -> bool:
    """Whether the standing posture where the person squats differs from the whole clip's by more than its own
    noise (``cfg.standing_margin_leg``, ``cfg.standing_margin_hip``). Within that the whole clip's is kept: on
    the mannequin's stance renders, re-reading it where the person squats moved a foot turn-out that read
    15.0 deg across the 15 deg feet-straight limit, and a clean squat read severe valgus."""
    return posture_moved(local, base, leg=cfg.standing_margin_leg, hip=cfg.standing_margin_hip)


def _subject(raw: PoseTrack, settings: Settings, smooth: bool) -> tuple[PoseTrack, CameraCuts | None, list[Notice]]:
    """The main subject's landmarks, in the first shot's and first place's picture (camera cuts and moves
    undone), cleaned if ``smooth``; the map back to the picture as filmed, and what was said about it."""
    warnings: list[Notice] = []
    raw = raw.in_picture()  # a joint outside the picture is a guess, whatever its visibility
    cuts = find_cuts(raw, settings.cuts)
    if cuts:
        warnings.append(Notice(W.CAMERA_CUT, cut_text(cuts, raw.t)))
    subject, other = drop_other_people(cuts.steady(raw) if cuts else raw)
    if other.any():
        warnings.append(Notice(W.OTHER_PERSON, other_person_text(other, raw.t)))
    subject = clean(subject, settings.filters) if smooth else subject
    moves = find_moves(subject, settings)
    if moves is None:
        return subject, cuts, warnings
    warnings.append(Notice(W.CAMERA_MOVED, moved_text(where(moves, raw.t))))
    return moves.steady(subject), (cuts.then(moves) if cuts else moves), warnings


def _knee_warnings(results: list[RepResult], settings: Settings, toe_out_deg: float, need: int) -> list[Notice]:
    """Why some knees of reps filmed within the judged view were not judged (``toe_out_deg``: the standing feet;
    ``need``: the trusted frames a knee needs at the clip's frame rate)."""
    blocks = [judging_block(r.view.view, r.view.turn_deg, settings.faults.max_yaw_deg, r.view.axis_deg)
              for r in results]
    open_ = [r for r, b in zip(results, blocks) if b in (None, NotJudged.FEET_HIDDEN)]
    behind = sum(b is NotJudged.FEET_HIDDEN for b in blocks)  # from behind the turn is read from the feet
    hidden = sum(v.reason in (NotJudged.KNEE_HIDDEN, NotJudged.TOO_FEW_FRAMES) for r in open_ for v in r.knee_verdicts)
    feet = sum(v.reason is NotJudged.FEET_HIDDEN for r in open_ for v in r.knee_verdicts)
    turned = sum(v.reason is NotJudged.TURNED for r in open_ for v in r.knee_verdicts)
    straight = sum(v.reason is NotJudged.FEET_STRAIGHT for r in open_ for v in r.knee_verdicts)
    leadless = sum(v.reason is NotJudged.LEAD_LEG_UNKNOWN for r in open_ for v in r.knee_verdicts[:1])
    out = []
    if hidden:
        out.append(Notice(W.KNEES_HIDDEN, f"{hidden} knee-rep(s) had fewer than {need} "
                          "trustworthy frames near the bottom and were not judged (knee hidden or misplaced; "
                          "hands away from the knees, and reps of about 2 s, leave more)"))
    if feet:
        out.append(Notice(W.FEET_HIDDEN, f"{feet} knee-rep(s) were not judged because the foot was out of the "
                          "picture (or unseen) near the bottom: each knee is judged against its foot"
                          + (f" (and from behind the body's turn is read from the feet, so the hip of {behind} rep(s) "
                             "was not judged either)" if behind else "")
                          + "; step back (or move the camera back) so both feet, floor included, stay in view"))
    if turned:
        out.append(Notice(W.KNEES_TURNED, f"{turned} knee-rep(s) were not judged because the body was turned: "
                          "read as filmed and with the turn taken out they disagree, and a turn read from 2D is not "
                          "sure enough to pick one; face the camera squarely"))
    if straight:
        out.append(Notice(W.FEET_STRAIGHT, f"{straight} knee-rep(s) were not judged because the feet point nearly "
                          f"straight ahead (turned out {toe_out_deg:.0f} degrees): the squat measure expects the knees "
                          "to travel outward over turned-out feet, and without that the verdict changes; squat with "
                          "the feet turned out a little more"))
    if leadless:
        out.append(Notice(W.LEAD_LEG_UNKNOWN, f"{leadless} rep(s) were filmed from behind, where a lunge and a "
                          "single-leg squat look alike and point at opposite legs, so neither knee was judged; film "
                          "from the front, or name the exercise (--exercise lunge or single_leg_squat)"))
    return out


def _view_warnings(view: View, yaw: float, blocked: NotJudged | None, views, settings: Settings) -> list[Notice]:
    reps_blocked = [judging_block(v.view, v.turn_deg, settings.faults.max_yaw_deg, v.axis_deg) for v in views]
    n = sum(b not in (None, NotJudged.FEET_HIDDEN) for b in reps_blocked)  # feet unseen: the knee warnings say it
    if blocked is NotJudged.SIDE_VIEW or (views and n == len(views) and NotJudged.SIDE_VIEW in reps_blocked):
        return [Notice(W.SIDE_VIEW, "side view: frontal-plane measures (knee valgus, FPPA, pelvic drop, trunk lean) "
                       "are meaningless from the side, so none is judged; film from the front, camera at knee-to-hip "
                       "height")]
    if blocked is NotJudged.TURNED or (views and n == len(views)):
        return [Notice(W.TURNED, f"the body is turned about {abs(yaw):.0f} degrees away from the camera: knee angles "
                       f"and the hip line are distorted beyond {settings.faults.max_yaw_deg:.0f} degrees, so neither "
                       "knees nor pelvic drop are judged; face the camera squarely")]
    out = []
    if n:
        out.append(Notice(W.REPS_NOT_JUDGED, f"{n} of {len(views)} reps were filmed side-on or with the body turned "
                          f"more than {settings.faults.max_yaw_deg:.0f} degrees and were not judged"))
    if view is View.UNKNOWN:
        out.append(Notice(W.VIEW_UNKNOWN, "could not tell whether the person faces the camera; results may be "
                          "unreliable"))
    return out
