"""Live mode: the camera or the person moved between reps, so the standing posture is read again.

Depth is the hip's descent below the standing height read at calibration, in the picture, and the squat
measure adds 120 deg per leg length of it. A webcam knocked or moved, or a person who steps nearer or farther
between sets, moves every later depth: replayed live, ten cuts pasted into three real clips (a zoom or a move
of the picture between shots) changed 53 of 162 knee verdicts. ``analyze`` finds such cuts in the whole clip
(:mod:`knee_cv.camera`); live mode cannot look ahead, so it compares the standing pose of the last seconds
with the calibration's.

The feet decide. In a set of squats they stay planted, so feet that stand elsewhere in the picture mean the
camera or the person moved, while a pause in a shallow dip moves the hips and not the feet. The pose must
also be the calibration's standing pose zoomed and shifted (not a squat, a turn or another person), and the
standing posture read from it must differ from the calibration's by more than its noise (the margins of
:class:`knee_cv.reps.RepSettings`, as ``analyze`` uses to re-read the standing posture where the person squats).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from .camera import BODY, fit_zoom
from .cues import LiveSettings
from .filtering import clean
from .kinematics import Baseline, posture_moved, standing_baseline
from .settings import Settings
from .track import LM, PoseTrack

#: The foot landmarks among :data:`knee_cv.camera.BODY` (ankles, heels, toes).
_FEET = np.flatnonzero(BODY >= LM.LEFT_ANKLE)


def standing_pose(track: PoseTrack, base: Baseline) -> np.ndarray:
    """The median pose of the standing frames of ``base``, shape (N, 2), pixels (``N`` = len(BODY))."""
    return np.median(track.xy[base.frames][:, BODY].astype(np.float64), axis=0)


class PlaceWatch:
    """Notices that the person stands somewhere else in the picture than at calibration.

    Call :meth:`update` once per frame after calibration; every half second it reads the session's raw
    landmarks of the last ``live.moved_window_s`` seconds and returns the new standing posture when the camera
    or the person moved, else None.

    Parameters
    ----------
    base : Baseline
        The standing posture in use.
    pose : ndarray, shape (N, 2)
        Its standing pose (:func:`standing_pose`), pixels.
    """

    def __init__(self, base: Baseline, pose: np.ndarray, settings: Settings, live: LiveSettings, fps: float) -> None:
        self.base, self.pose, self.settings, self.live = base, pose, settings, live
        self.frames = max(5, round(live.moved_window_s * fps))  # the window looked at
        self.every = max(1, round(0.5 * fps))
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
        moved = new_place(window, self.base, self.pose, self.settings)
        if moved is not None:
            self.base, self.pose = moved, standing_pose(window, moved)
        return moved


def settled_since(track: PoseTrack, pose: np.ndarray, tol: float) -> int:
    """The first frame of the stretch at the end of ``track`` in which the feet stand where they stand in
    ``pose`` (the new place's standing pose, (N, 2)), within ``tol`` pixels: since when the picture is the new one.
    A frame without feet ends the stretch (the person may have left and come back elsewhere)."""
    feet = track.xy[:, BODY[_FEET]].astype(np.float64)  # (T, 6, 2)
    with np.errstate(invalid="ignore"):
        away = ~(np.median(np.linalg.norm(feet - pose[_FEET], axis=-1), axis=1) <= tol)
    return int(np.flatnonzero(away)[-1]) + 1 if away.any() else 0


def new_place(window: PoseTrack, base: Baseline, pose: np.ndarray, settings: Settings) -> Baseline | None:
    """The standing posture ``window`` shows when it is the standing pose ``pose`` of ``base``, zoomed and
    shifted, with the feet elsewhere, and differs from ``base`` by more than its noise; else None.

    The feet must hold still within the window (a move inside it would mix two pictures). The window's
    standing frames are its highest hips with the legs straight (:func:`standing_baseline`); a
    set of squats passes through them at the top of each rep. If the hips there are not where the fitted
    zoom and shift put the calibration's standing hips (the window never stood up fully), it waits.
    """
    L, cfg = base.leg_length, settings.reps
    feet = window.xy[:, BODY[_FEET]].astype(np.float64)  # (T, 6, 2)
    if not np.isfinite(feet).all():
        return None  # the person, feet included, must be seen throughout
    if np.median(np.linalg.norm(feet.max(axis=0) - feet.min(axis=0), axis=-1)) > cfg.standing_margin_hip * L:
        return None  # the feet moved within the window: wait until the picture holds still again
    local = standing_baseline(window)
    if local is None:
        return None
    now = np.median(window.xy[local.frames][:, BODY].astype(np.float64), axis=0)
    s, d, misfit = fit_zoom(pose, now, L)
    if not np.isfinite(s) or misfit > settings.cuts.max_misfit * s * L:
        return None  # not the standing pose: a squat, a turn, another person
    apart = np.linalg.norm(now[_FEET] - pose[_FEET], axis=-1)  # NaN where calibration did not see a foot point
    if not np.isfinite(apart).any() or np.median(apart[np.isfinite(apart)]) < cfg.standing_margin_hip * L:
        return None  # the feet stand where they stood: nothing moved
    fitted = dataclasses.replace(base, leg_length=s * L, hip_y=s * base.hip_y + d[1])
    if posture_moved(local, fitted, leg=cfg.standing_margin_leg, hip=cfg.standing_margin_hip):
        return None  # the move does not explain the standing posture read: not fully standing
    return local if posture_moved(local, base, leg=cfg.standing_margin_leg, hip=cfg.standing_margin_hip) else None
