"""A camera or a person that moved and then held: the standing posture is read again in the new place.

Depth is the hip's descent below the standing height, in the picture, and the squat measure adds 120 deg per
leg length of it. A webcam knocked or nudged, or a person who steps nearer or aside between sets, moves every
later depth: replayed live, ten cuts pasted into three real clips changed 53 of 162 knee verdicts, and a
smooth 8 % move of a real clip's picture read 10 of its 20 good knee-reps as valgus. The cut search
(:mod:`knee_cv.camera`) sees only jumps; this module finds a move once the person stands still again, by one
rule (:func:`new_place`) used in live mode (:class:`PlaceWatch`, which cannot look ahead) and in recorded
video (:func:`find_moves`, whose later places are mapped back onto the first as shots are).

The feet decide. In a set of squats they stay planted, so feet that stand elsewhere in the picture mean the
camera or the person moved, while a pause in a shallow dip moves the hips and not the feet. The pose must
also be the earlier standing pose zoomed and shifted (not a squat, a turn or another person), with the feet
where that zoom and shift carries them (not a wider stance, nor a pose with the knees still bent), and the
standing posture read from it must differ from the earlier one by more than its noise (the margins of
:class:`knee_cv.reps.RepSettings`, as ``analyze`` uses to re-read the standing posture where the person squats).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from .camera import BODY, CameraCuts, fit_zoom
from .filtering import clean
from .kinematics import Baseline, posture_moved, standing_baseline
from .settings import Settings
from .track import LM, PoseTrack

#: How often the last ``move_window_s`` seconds are looked at, seconds.
LOOK_EVERY_S = 0.5

#: The foot landmarks among :data:`knee_cv.camera.BODY` (ankles, heels, toes).
_FEET = np.flatnonzero(BODY >= LM.LEFT_ANKLE)


def standing_pose(track: PoseTrack, base: Baseline) -> np.ndarray:
    """The median pose of the standing frames of ``base``, shape (N, 2), pixels (``N`` = len(BODY))."""
    return np.median(track.xy[base.frames][:, BODY].astype(np.float64), axis=0)


class PlaceWatch:
    """Notices that the person stands somewhere else in the picture than at calibration.

    Call :meth:`update` once per frame after calibration; every half second it reads the session's raw
    landmarks of the last ``settings.cuts.move_window_s`` seconds and returns the new standing posture when the camera
    or the person moved, else None.

    Parameters
    ----------
    base : Baseline
        The standing posture in use.
    pose : ndarray, shape (N, 2)
        Its standing pose (:func:`standing_pose`), pixels.
    """

    def __init__(self, base: Baseline, pose: np.ndarray, settings: Settings, fps: float) -> None:
        self.base, self.pose, self.settings = base, pose, settings
        self.frames = max(5, round(settings.cuts.move_window_s * fps))  # the window looked at
        self.every = max(1, round(LOOK_EVERY_S * fps))
        self.count = 0

    def update(self, recent: Callable[[int], PoseTrack]) -> Baseline | None:
        """``recent(n)``: the raw landmarks of the last ``n`` frames since calibration (fewer at first)."""
        self.count += 1
        if self.count % self.every:
            return None
        window = recent(self.frames)
        if len(window) < self.frames:
            return None
        window = clean(window, self.settings.filters)  # as calibration reads it
        move = new_place(window, self.base, self.pose, self.settings)
        if move is None:
            return None
        self.base, self.pose = move.base, move.pose
        return move.base


def settled_since(track: PoseTrack, pose: np.ndarray, tol: float) -> int:
    """The first frame of the stretch at the end of ``track`` in which the feet stand where they stand in
    ``pose`` (the new place's standing pose, (N, 2)), within ``tol`` pixels: since when the picture is the new one.
    A frame without feet ends the stretch (the person may have left and come back elsewhere)."""
    away = away_from(track.xy[:, BODY[_FEET]].astype(np.float64), pose, tol)
    return int(np.flatnonzero(away)[-1]) + 1 if away.any() else 0


@dataclasses.dataclass(frozen=True)
class Move:
    """The person standing in a new place in the picture: ``new = scale * old + shift`` (pixels)."""

    base: Baseline     # the standing posture there
    pose: np.ndarray   # its standing pose, (N, 2)
    scale: float
    shift: np.ndarray  # (2,)


def still_standing(window: PoseTrack, margin: float) -> Baseline | None:
    """The standing posture of ``window`` when it shows the whole person, feet included, in every frame, with the
    feet holding still (median foot-point travel within ``margin`` leg lengths); else None."""
    feet = window.xy[:, BODY[_FEET]].astype(np.float64)  # (T, 6, 2)
    if not np.isfinite(feet).all():
        return None
    local = standing_baseline(window)
    travel = np.linalg.norm(feet.max(axis=0) - feet.min(axis=0), axis=-1)
    return local if local is not None and np.median(travel) <= margin * local.leg_length else None


def new_place(window: PoseTrack, base: Baseline, pose: np.ndarray, settings: Settings) -> Move | None:
    """The move to where ``window`` shows the person standing, when that is the standing pose ``pose`` of
    ``base``, zoomed and shifted, with the feet elsewhere, and differs from ``base`` by more than its noise.

    The feet must hold still within the window (a move inside it would mix two pictures). The window's
    standing frames are its highest hips with the legs straight (:func:`standing_baseline`); a set of squats
    passes through them at the top of each rep. If the hips there are not where the fitted zoom and shift put
    the calibration's standing hips (the window never stood up fully), None: wait.
    """
    L, cfg = base.leg_length, settings.reps
    local = still_standing(window, cfg.standing_margin_hip)
    if local is None:
        return None  # the feet moved within the window (or were not seen): wait until the picture holds still
    now = standing_pose(window, local)
    s, d, misfit = fit_zoom(pose, now, L)
    if not np.isfinite(s) or misfit > settings.cuts.max_misfit * s * L:
        return None  # not the standing pose: a squat, a turn, another person
    apart = np.linalg.norm(now[_FEET] - pose[_FEET], axis=-1)  # NaN where calibration did not see a foot point
    if not np.isfinite(apart).any() or np.median(apart[np.isfinite(apart)]) < cfg.standing_margin_hip * L:
        return None  # the feet stand where they stood: nothing moved
    if not feet_moved_with_body(pose, now, s, d, cfg.standing_margin_hip * s * L):
        return None  # the feet moved, not the picture: a wider stance, or legs still bent
    fitted = dataclasses.replace(base, leg_length=s * L, hip_y=s * base.hip_y + d[1])
    if posture_moved(local, fitted, leg=cfg.standing_margin_leg, hip=cfg.standing_margin_hip):
        return None  # the move does not explain the standing posture read: not fully standing
    if not posture_moved(local, base, leg=cfg.standing_margin_leg, hip=cfg.standing_margin_hip):
        return None  # within the standing posture's noise
    return Move(local, now, s, d)


def feet_moved_with_body(pose: np.ndarray, now: np.ndarray, s: float, d: np.ndarray, tol: float) -> bool:
    """Whether the zoom and shift ``now ≈ s pose + d`` (fitted over the whole body, :func:`knee_cv.camera.fit_zoom`)
    explains where the feet of ``pose`` went in ``now`` (both (N, 2), pixels): the feet stand where it puts them
    within ``tol`` pixels, or within half of how far they went (median foot point).

    A camera that moved, or a person who stepped nearer or aside, carries the feet with the body. Feet that moved
    against the body (a wider stance, a pose with the knees still bent, or only MediaPipe reading the feet
    elsewhere after a squat) can still let the whole pose fit a zoom loosely. Measured on real clips: moves made
    by zooming or shifting their landmarks (0.85-1.15, or 8 % of the picture) and a clip's picture moved down by
    ffmpeg left the feet 0.004-0.035 leg lengths from where the move put them, at most 0.35 of how far they went
    (the larger figures where the person had shifted their feet before the move); on the same clips played 4x
    slowly, where half a second of standing fills the window, the false moves read zooms of 0.88-1.04 and left
    the feet 0.045-0.054 from where they put them, 0.62-1.17 of how far they went (two later stances, 0.39 and
    0.49, still pass as moves of 1-5 %, which move no knee measure by more than 1.9 deg).
    """
    feet = np.isfinite(pose[_FEET]).all(1) & np.isfinite(now[_FEET]).all(1)
    if not feet.any():
        return False
    a, b = pose[_FEET][feet], now[_FEET][feet]
    miss = float(np.median(np.linalg.norm(s * a + d - b, axis=-1)))
    went = float(np.median(np.linalg.norm(b - a, axis=-1)))
    return miss <= max(tol, went / 2)


def find_moves(track: PoseTrack, settings: Settings) -> CameraCuts | None:
    """Where a recorded clip's camera or person moved and the person stood still again elsewhere in the picture
    (:func:`new_place`, looked for every half second over ``settings.cuts.move_window_s``, as live mode does),
    as maps of the later places back into the first place's picture; None when nothing moved.

    ``track`` is the subject's cleaned landmarks (camera cuts already undone). The map of a place holds from
    the frame its feet settled there; during the move itself it follows the move in proportion
    (:meth:`CameraCuts.chain`).
    """
    n, every = max(5, round(settings.cuts.move_window_s * track.fps)), max(1, round(LOOK_EVERY_S * track.fps))
    margin = settings.reps.standing_margin_hip
    ends = iter(range(n, len(track) + 1, every))
    base = pose = None
    for e in ends:  # the first place: the first window with the person standing still
        if (base := still_standing(track.slice(e - n, e), margin)) is not None:
            pose, start = standing_pose(track.slice(e - n, e), base), e - n
            break
    if base is None:
        return None
    feet = track.xy[:, BODY[_FEET]].astype(np.float64)  # (T, 6, 2)
    tol = margin * base.leg_length
    here = np.r_[0, np.cumsum(~away_from(feet, pose, tol))]  # frames at this place, so far
    moves = []
    for e in ends:  # only where no frame of the window is at this place (a cumulative count: cheap)
        if e - n < start or here[e] > here[e - n] or (move := new_place(track.slice(e - n, e), base, pose,
                                                                          settings)) is None:
            continue
        at = start + settled_since(track.slice(start, e), move.pose, tol)
        stayed = np.flatnonzero(~away_from(feet[start:at], pose, tol))  # frames still in the old place
        moves.append((start + (stayed[-1] + 1 if stayed.size else 0), at, move.scale, move.shift))
        base, pose, start = move.base, move.pose, at
        tol = margin * base.leg_length
        here = np.r_[0, np.cumsum(~away_from(feet, pose, tol))]
    return CameraCuts.chain(len(track), moves) if moves else None


def away_from(feet: np.ndarray, pose: np.ndarray, tol: float) -> np.ndarray:
    """Frames whose feet (T, 6, 2) are not within ``tol`` pixels of the feet of ``pose`` (median foot point)."""
    with np.errstate(invalid="ignore"):
        return ~(np.median(np.linalg.norm(feet - pose[_FEET], axis=-1), axis=1) <= tol)


def feet_drift(track: PoseTrack, reps: list, leg_length: float, views: list) -> float:
    """How far the feet moved up and down in the picture over the frames of ``reps``, leg lengths: the 5th to 95th
    percentile span of the median foot point's height (NaN without a foot seen). In a bilateral squat the feet
    stay planted, so this is the camera moving: a tripod read 0.01-0.10 on the real clips, handheld phones
    0.23-0.43.

    ``views`` (one per rep, e.g. front, side, back): the span is taken among the reps of each view and the
    largest returned. A person who turns round between reps swaps which of heel and toe is nearer the camera,
    and the median foot point moves with it (the mannequin turned from front to back between reps: 0.17 through
    MediaPipe, past the 0.15 line), while the camera stood still."""
    spans = []
    for group in ([r for r, v in zip(reps, views) if v == k] for k in dict.fromkeys(views)):
        frames = np.zeros(len(track), bool)
        for r in group:
            frames[r.start:r.end + 1] = True
        y = np.median(track.xy[frames][:, BODY[_FEET], 1].astype(np.float64), axis=1)  # NaN: a frame without feet
        y = y[np.isfinite(y)]
        if y.size:
            spans.append(float(np.percentile(y, 95) - np.percentile(y, 5)) / leg_length)
    return max(spans, default=float("nan"))
