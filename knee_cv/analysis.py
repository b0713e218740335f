"""From a raw landmark track to reps, faults and recommendations (pure, no I/O)."""
from __future__ import annotations

import dataclasses
import logging

import numpy as np

from . import exercises as ex
from .faults import RepResult, adjusted_valgus, evaluate_reps, summarize
from .filtering import clean
from .kinematics import Baseline, FrameMetrics, _joints, _norm, frame_metrics, standing_baseline
from .reps import Exercise, classify_exercise, segment_reps
from .settings import Settings
from .track import HIP, SHOULDER, PoseTrack
from .view import View, body_yaw_deg, classify_view

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Analysis:
    """Everything knee-cv concludes about one track.

    ``measure`` is the per-frame judged knee value, shape (T, 2), degrees (see
    :func:`knee_cv.faults.adjusted_valgus`).
    """

    raw: PoseTrack
    track: PoseTrack
    baseline: Baseline | None
    metrics: FrameMetrics | None
    measure: np.ndarray | None
    view: View
    yaw_deg: float
    exercise: Exercise
    reps: tuple[RepResult, ...]
    faults: tuple[dict, ...]
    recommendations: tuple[dict, ...]
    warnings: tuple[str, ...]
    settings: Settings


def drop_other_people(track: PoseTrack, max_scale_ratio: float = 2.0, max_jump: float = 1.0) -> tuple[PoseTrack, int]:
    """Blank frames whose pose is not the main subject (another person grabbed by the tracker).

    A body's size is the larger of its torso length and shoulder width, which
    stays within a factor of about 1.5 through a squat. Frames whose size differs
    from the median by more than ``max_scale_ratio`` times, or whose hip centre
    jumps by more than ``max_jump`` sizes from one frame to the next, are set to NaN.

    Returns
    -------
    (track, n_dropped)
    """
    hip, sh = _joints(track, HIP, SHOULDER)  # (2 coords, T, 2 sides)
    hipc = hip.mean(2)
    size = np.fmax(_norm(sh.mean(2) - hipc), _norm(sh[..., 0] - sh[..., 1]))
    ok = np.isfinite(size)
    if ok.sum() < 3:
        return track, 0
    ratio = size / np.median(size[ok])
    jump = np.r_[0.0, _norm(np.diff(hipc, axis=1)) / size[1:]]
    with np.errstate(invalid="ignore"):
        other = ok & ((ratio > max_scale_ratio) | (ratio < 1 / max_scale_ratio) | (jump > max_jump))
    if not other.any():
        return track, 0
    xyz, vis = track.xyz.copy(), track.visibility.copy()
    xyz[other], vis[other] = np.nan, 0
    return track.replace(xyz=xyz, visibility=vis), int(other.sum())


def recommendations(faults: list[dict], per_fault: int = 5) -> list[dict]:
    """Exercises and cues for each summarized fault, from :mod:`knee_cv.exercises`."""
    out = []
    for f in faults:
        out.append({
            "fault": f["code"], "side": f["side"], "severity": f["severity"],
            "exercises": [{"name": e.name, "kind": e.kind, "how": e.how, "dose": e.dose, "why": e.why,
                           "source": e.source} for e in ex.exercises_for(f["code"], per_fault)],
            "cues": [{"cue": c, "source": s} for c, s in ex.CUES.get(f["code"], ())],
        })
    return out


def analyze_track(raw: PoseTrack, settings: Settings = Settings(), *, smooth: bool = True) -> Analysis:
    """Run the whole numpy core on a landmark track.

    Parameters
    ----------
    raw : PoseTrack
        Landmarks as estimated (unsmoothed).
    smooth : bool
        Zero-phase filtering for recorded video; live mode passes a track that
        is already causally filtered and sets this False.
    """
    warnings: list[str] = []
    subject, dropped = drop_other_people(raw)
    if dropped:
        warnings.append(f"{dropped} frames showed a different person and were ignored")
    track = clean(subject, settings.filters) if smooth else subject
    base = standing_baseline(track)
    empty = dict(raw=raw, track=track, baseline=base, metrics=None, measure=None, reps=(), faults=(),
                 recommendations=(), settings=settings)
    if base is None:
        warnings.append("the hips, knees and ankles were never all visible: no reps can be measured; "
                        "step back so the whole body, feet included, is in view")
        return Analysis(view=View.UNKNOWN, yaw_deg=float('nan'), exercise=Exercise.UNKNOWN, warnings=tuple(warnings), **empty)
    view = classify_view(track, base.leg_length)
    yaw = body_yaw_deg(track, base.leg_length)
    oblique = view in (View.FRONT, View.BACK) and abs(yaw) > settings.faults.max_yaw_deg
    metrics = frame_metrics(track, base, settings.trust)
    reps = segment_reps(metrics.depth, track.fps, settings.reps)
    exercise, reps = classify_exercise(track.xy, base.leg_length, reps, settings.reps)
    if view is View.SIDE:
        warnings.append("side view: frontal-plane measures (knee valgus, FPPA, pelvic drop, trunk lean) are "
                        "meaningless from the side, so none is judged; film from the front, camera at knee-to-hip "
                        "height")
        exercise = Exercise.SQUAT if reps else Exercise.UNKNOWN
        reps = [dataclasses.replace(r, lead_leg=None) for r in reps]
    elif oblique:
        warnings.append(f"the body is turned about {abs(yaw):.0f} degrees away from the camera: knee angles and the "
                        "hip line are distorted, so neither knees nor pelvic drop are judged; face the camera squarely")
    elif view is View.UNKNOWN:
        warnings.append("could not tell whether the person faces the camera; results may be unreliable")
    if not reps:
        warnings.append("no reps found: the hips never dropped by more than "
                        f"{settings.reps.min_depth:.0%} of leg length below standing")
    measure = adjusted_valgus(metrics, exercise, settings.faults)
    results = evaluate_reps(metrics, measure, reps, exercise, settings.faults,
                            judge_knees=view is not View.SIDE and not oblique,
                            judge_pelvis=view is not View.SIDE and not oblique)
    unjudged = sum(1 for r in results for side, s in zip(("left", "right"), r.sides)
                   if not np.isfinite(s.knee_valgus_deg) and r.rep.lead_leg in (None, side))  # rear/free leg: moot
    if results and unjudged and view is not View.SIDE and not oblique:
        warnings.append(f"{unjudged} knee-rep(s) had fewer than {settings.faults.min_trusted_frames} trustworthy "
                        "frames near the bottom and were not judged (knee hidden or misplaced)")
    summary = summarize(results)
    return dataclasses.replace(
        Analysis(view=view, yaw_deg=yaw, exercise=exercise, warnings=tuple(warnings), **empty),
        metrics=metrics, measure=measure, reps=tuple(results), faults=tuple(summary),
        recommendations=tuple(recommendations(summary)))
