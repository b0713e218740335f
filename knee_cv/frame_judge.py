"""Which knees of one live frame may be cued or drawn judged: the rules a rep's verdict uses, frame by frame.

A live cue ("push your left knee out") and a knee drawn red or green speak before the rep's verdict does,
so they must not say what the verdict will not: a knee whose measure no body produces is drawn hollow and
never cued, and in a rep turned 5 degrees or more, or with the feet straight ahead, a knee is cued or
coloured only where its call is the same both ways (:func:`knee_cv.faults.judge_reps`).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .faults import feet_straight, plausible_frames, valgus_measure
from .kinematics import Baseline, FrameMetrics, square_on
from .present import KneeMark
from .reps import Exercise, Rep
from .settings import FaultSettings
from .track import PoseTrack
from .view import rep_views


class FrameJudge:
    """Per-frame knee checks of a live session; the rep's turn is read once, at its first deep frame.

    Call :meth:`seen` on every frame, :meth:`sure` on deep frames, and :meth:`new_rep` when a rep closes.
    """

    def __init__(self) -> None:
        self.turn: float | None = None  # the turn of the rep under way (degrees), once read

    def new_rep(self) -> None:
        self.turn = None

    @staticmethod
    def seen(fm: FrameMetrics, measure: np.ndarray, last: FrameMetrics | None, exercise: Exercise,
             cfg: FaultSettings) -> np.ndarray:
        """Knees trusted in this frame with a measure a body could have produced, shape (2,)
        (:func:`knee_cv.faults.plausible_frames`; a leap is checked against the ``last`` frame)."""
        if last is None:
            return plausible_frames(measure[None], fm.t, fm.knee_trusted, exercise, cfg)[0] & fm.knee_trusted[0]
        both = np.stack([valgus_measure(last.fppa_deg, last.depth, exercise, cfg)[0], measure])
        return plausible_frames(both, np.r_[last.t, fm.t], np.r_[last.knee_trusted, fm.knee_trusted],
                                exercise, cfg)[1] & fm.knee_trusted[0]

    def sure(self, fm: FrameMetrics, one: PoseTrack, base: Baseline, measure: np.ndarray, exercise: Exercise,
             cfg: FaultSettings, so_far: Callable[[], tuple[PoseTrack, FrameMetrics]]) -> np.ndarray:
        """Knees whose call in this deep frame (past the valgus onset or not) holds both ways, shape (2,):
        by the raw FPPA with the feet straight ahead, and square-on (with a plausible square-on measure) in a
        rep turned ``cfg.square_check_from_deg`` or more. ``so_far`` gives the rep's frames until now."""
        onset = cfg.valgus(exercise).onset
        ok = np.ones(2, bool)
        with np.errstate(invalid="ignore"):
            if feet_straight(base, exercise, cfg):  # a raw FPPA no body produces cannot contradict, as per rep
                raw = fm.fppa_deg
                agree = (measure >= onset) == (raw[0] >= cfg.valgus_single_leg.onset)
                ok = agree | ~plausible_frames(raw, fm.t, fm.knee_trusted, exercise, cfg)[0]
            if self.turn is None:  # analyze's per-rep rule, on the rep's frames so far
                track, rows = so_far()
                depth = np.nan_to_num(rows.depth)
                rep = Rep(0, 0, int(np.argmax(depth)), len(depth) - 1, float(depth.max()))
                (view,) = rep_views(track, rows.depth, [rep], base.leg_length, bilateral=not exercise.one_legged)
                self.turn = view.turn_deg
            if not abs(self.turn) >= cfg.square_check_from_deg:  # NaN (no turn read): not checked, as in analyze
                return ok
            sq = square_on(fm, one, base, np.array([self.turn], np.float32))
            square = valgus_measure(sq.fppa_deg, sq.depth, exercise, cfg)[0]
            ok &= (measure >= onset) == (square >= onset)
        return ok & plausible_frames(square[None], fm.t, sq.knee_trusted, exercise, cfg)[0]


def frame_marks(fm: FrameMetrics, measure: np.ndarray, deep: bool, onset: float, drop_onset: float,
                seen: np.ndarray | None = None, sure: np.ndarray | None = None
                ) -> tuple[tuple[KneeMark, KneeMark], bool]:
    """How to draw the knees and the hip line of one live frame: judged marks only deep in a rep.

    ``seen`` (2,): knees trusted with a plausible measure (default: ``fm.knee_trusted``); the others are
    hollow. ``sure`` (2,): knees whose call holds both ways (:meth:`FrameJudge.sure`; default: both); the
    others are grey."""
    seen = fm.knee_trusted[0] if seen is None else seen
    sure = np.ones(2, bool) if sure is None else sure
    knees = tuple(KneeMark.HIDDEN if not seen[s] else KneeMark.NEUTRAL if not (deep and sure[s]) else
                  KneeMark.FLAGGED if measure[s] >= onset else KneeMark.OK for s in (0, 1))
    drop = float(fm.pelvic_drop_deg[0])
    return knees, bool(deep and fm.pelvis_trusted[0] and abs(drop) >= drop_onset)
