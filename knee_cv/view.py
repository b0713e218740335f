"""Which way the person faces the camera, from the landmarks alone."""
from __future__ import annotations

import enum

import numpy as np

from .track import LM, PoseTrack


class View(str, enum.Enum):
    FRONT = "front"
    BACK = "back"
    SIDE = "side"
    UNKNOWN = "unknown"


#: Shoulder width below this fraction of leg length means the body is turned
#: sideways (front views measured here: 0.39-0.51; a side view: 0.13).
SIDE_MAX_SHOULDER_WIDTH = 0.25


def frame_views(xy: np.ndarray, leg_length: float) -> np.ndarray:
    """The view of each frame from its shoulders: the shared rule of :func:`classify_view` and live mode.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2), pixels

    Returns
    -------
    ndarray, shape (T,), object
        :class:`View` per frame: side when the shoulder width is below
        ``SIDE_MAX_SHOULDER_WIDTH`` of the leg length, front when the subject's left
        shoulder is on the image right, back when reversed; unknown without shoulders.
    """
    dx = xy[:, LM.LEFT_SHOULDER, 0] - xy[:, LM.RIGHT_SHOULDER, 0]
    with np.errstate(invalid="ignore"):
        code = np.where(~np.isfinite(dx), 3, np.where(np.abs(dx) < SIDE_MAX_SHOULDER_WIDTH * leg_length, 2,
                                                      np.where(dx > 0, 0, 1)))
    return np.array([View.FRONT, View.BACK, View.SIDE, View.UNKNOWN], dtype=object)[code]


def classify_view(track: PoseTrack, leg_length: float) -> View:
    """Front, back or side for a whole clip, from the median shoulder width and the left/right order.

    In a front view the subject's left shoulder appears on the image right.
    """
    xy = track.xy
    dx = xy[:, LM.LEFT_SHOULDER, 0] - xy[:, LM.RIGHT_SHOULDER, 0]
    dx = dx[np.isfinite(dx)]
    if dx.size < 3 or not np.isfinite(leg_length) or leg_length <= 0:
        return View.UNKNOWN
    if np.median(np.abs(dx)) / leg_length < SIDE_MAX_SHOULDER_WIDTH:
        return View.SIDE
    facing = np.mean(dx > 0)
    if facing > 0.7:
        return View.FRONT
    if facing < 0.3:
        return View.BACK
    return View.UNKNOWN


def body_yaw_deg(track: PoseTrack, leg_length: float) -> float:
    """How far the shoulders are turned away from the image plane, degrees (median).

    Uses MediaPipe's relative depth of the two shoulders; 0 = square to the camera.
    """
    xyz = track.xyz
    d = xyz[:, LM.LEFT_SHOULDER] - xyz[:, LM.RIGHT_SHOULDER]
    yaw = np.degrees(np.arctan2(d[:, 2], np.abs(d[:, 0])))
    yaw = yaw[np.isfinite(yaw)]
    return float(np.median(yaw)) if yaw.size else float("nan")
