"""Which frames show the person being screened, when the pose model follows someone else for a while.

MediaPipe's landmarker follows one person. When it loses them (a frame or two without a detection, someone
walking in front) it picks whoever it finds next: another person in the picture, for the rest of the clip or
until it comes back. Each stretch between two jumps of the body that no one could make in the time between the
frames is one person; the longest is the subject, and the others are ignored unless they start where the
subject was last seen (the tracker came back).
"""
from __future__ import annotations

import numpy as np

from .kinematics import norm
from .track import HIP, SHOULDER, PoseTrack

#: How far a person's hip centre can travel across the picture, body sizes per second (walking at about
#: 1.5 m/s, the torso about 0.5 m): after frames without landmarks, a jump within this may be the same person.
WALK_SIZES_PER_S = 3.0


def drop_other_people(track: PoseTrack, max_scale_ratio: float = 2.0, max_jump: float = 1.0
                      ) -> tuple[PoseTrack, np.ndarray]:
    """Blank the frames whose pose is not the main subject (another person the tracker picked).

    A body's size is the larger of its torso length and shoulder width, which stays within a factor of about
    1.5 through a squat. Frames whose size differs from the median by more than ``max_scale_ratio`` times are
    someone else. The frames where the hips are seen are cut into stretches wherever the hip centre jumps, from
    one seen frame to the next, by more than ``max_jump`` sizes plus :data:`WALK_SIZES_PER_S` times the seconds
    between them (the frames without landmarks in between, as when the tracker lost the person and found
    another). The longest stretch is the subject; going out from it, a stretch is the subject again when it
    starts (or, before it, ends) within that reach of where the subject was last seen, and someone else if not.

    Returns
    -------
    (track, other)
        The track with the other people's frames blanked (NaN, visibility 0), and which frames those were,
        shape (T,) bool.
    """
    c, size = hips_and_size(track.xy)
    hipc = c.T                              # (2, T): coordinates first, as norm() takes them
    other = np.zeros(len(track), bool)
    seen = np.flatnonzero(np.isfinite(size) & np.isfinite(hipc).all(0))
    if seen.size < 3:
        return track, other
    ratio = size[seen] / np.median(size[seen])
    other[seen[(ratio > max_scale_ratio) | (ratio < 1 / max_scale_ratio)]] = True
    seen = seen[~other[seen]]
    if seen.size >= 2:
        other[seen[~_subject_stretches(hipc[:, seen], size[seen], track.t[seen], max_jump)]] = True
    if not other.any():
        return track, other
    xyz, vis = track.xyz.copy(), track.visibility.copy()
    xyz[other], vis[other] = np.nan, 0
    return track.replace(xyz=xyz, visibility=vis), other


def reach_px(size, dt, max_jump: float = 1.0):
    """How far (pixels) a hip centre can move in ``dt`` seconds for a body ``size`` pixels across (scalars or
    arrays): ``max_jump`` sizes between two frames, plus :data:`WALK_SIZES_PER_S` per second."""
    return (max_jump + WALK_SIZES_PER_S * dt) * size


def hips_and_size(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The hip centre and the body size of one frame's landmarks or a track's.

    Parameters
    ----------
    xy : ndarray, shape (..., 33, 2), pixels

    Returns
    -------
    (centre, size)
        The hips' midpoint, shape (..., 2), and the larger of the torso length (hips' to shoulders' midpoint) and
        the shoulder width, shape (...), pixels; NaN where a hip (or both measures) is missing.
    """
    hip, sh = xy[..., HIP, :], xy[..., SHOULDER, :]                  # (..., 2 sides, 2)
    c = hip.mean(-2)
    return c, np.fmax(np.linalg.norm(sh.mean(-2) - c, axis=-1), np.linalg.norm(sh[..., 0, :] - sh[..., 1, :], axis=-1))


def _subject_stretches(c: np.ndarray, size: np.ndarray, t: np.ndarray, max_jump: float) -> np.ndarray:
    """Which of the seen frames (hip centres ``c``, (2, n); sizes and times (n,)) belong to the subject, (n,)."""
    step = norm(np.diff(c, axis=1))
    breaks = np.flatnonzero(step > reach_px(size[1:], np.diff(t), max_jump)) + 1
    if breaks.size == 0:
        return np.ones(len(t), bool)
    first, last = np.r_[0, breaks], np.r_[breaks - 1, len(t) - 1]
    main = int(np.argmax(last - first))
    keep = np.zeros(len(first), bool)
    keep[main] = True
    for order in (range(main + 1, len(first)), range(main - 1, -1, -1)):
        at = last[main] if order.step > 0 else first[main]  # where the subject was last (or next) seen
        for k in order:
            near = first[k] if order.step > 0 else last[k]
            if norm(c[:, near] - c[:, at]) <= reach_px(size[at], abs(t[near] - t[at]), max_jump):
                keep[k] = True
                at = last[k] if order.step > 0 else first[k]
    return np.repeat(keep, last - first + 1)
