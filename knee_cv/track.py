"""The central data structure: a landmark track of one person over time.

Every stage (pose, filtering, kinematics, reps, report, render) takes and returns
plain numpy arrays held in a frozen :class:`PoseTrack`. MediaPipe types never
appear here; see :mod:`knee_cv.pose` for the only adapter.
"""
from __future__ import annotations

import dataclasses
import enum
import functools
from pathlib import Path

import numpy as np

from .errors import InputError

N_LANDMARKS = 33


class LM(enum.IntEnum):
    """MediaPipe Pose landmark indices used by knee-cv (subject's own sides)."""

    NOSE = 0
    LEFT_EYE = 2
    RIGHT_EYE = 5
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


#: Lower-body joints indexed ``[side, joint]`` with side 0 = left, 1 = right.
HIP = np.array([LM.LEFT_HIP, LM.RIGHT_HIP])
KNEE = np.array([LM.LEFT_KNEE, LM.RIGHT_KNEE])
ANKLE = np.array([LM.LEFT_ANKLE, LM.RIGHT_ANKLE])
HEEL = np.array([LM.LEFT_HEEL, LM.RIGHT_HEEL])
TOE = np.array([LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX])
SHOULDER = np.array([LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER])


def _check(name: str, arr: np.ndarray, shape: tuple, dtype) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.ndim != len(shape) or any(s is not None and a != s for a, s in zip(arr.shape, shape)):
        want = "(" + ", ".join("T" if s is None else str(s) for s in shape) + ")"
        raise InputError(f"PoseTrack.{name}: expected shape {want}, got {arr.shape}")
    return arr.astype(dtype, copy=False)


#: How far past the frame's edge a landmark may lie and still count as in the picture, as a share of the frame
#: height: a joint seen right at the edge is placed within about this (its frame-to-frame scatter), while a joint
#: past it is the model's guess.
EDGE_TOLERANCE = 0.01


def outside_picture(xy: np.ndarray, width: int, height: int) -> np.ndarray:
    """Landmarks lying outside the ``width`` x ``height`` picture by more than ``EDGE_TOLERANCE``.

    Parameters
    ----------
    xy : ndarray, shape (..., 33, 2), pixels

    Returns
    -------
    ndarray, shape (..., 33), bool; False where the position is NaN (not detected).
    """
    return _outside(xy[..., 0], xy[..., 1], width, height)


def unseen_outside(xyz: np.ndarray, visibility: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``xyz`` (..., 33, 3) and ``visibility`` (..., 33) with the landmarks ``out`` (..., 33) marked not detected:
    NaN and 0 (:meth:`PoseTrack.in_picture`, and live mode frame by frame)."""
    return np.where(out[..., None], np.float32(np.nan), xyz), np.where(out, np.float32(0), visibility)


def _outside(x: np.ndarray, y: np.ndarray, width: int, height: int) -> np.ndarray:
    """:func:`outside_picture` on separate ``x`` and ``y`` arrays (any shape)."""
    tol = EDGE_TOLERANCE * height
    with np.errstate(invalid="ignore"):  # NaN compares False: not detected is not outside
        return (np.abs(x - np.float32(width / 2)) > width / 2 + tol) | \
            (np.abs(y - np.float32(height / 2)) > height / 2 + tol)


@dataclasses.dataclass(frozen=True, eq=False)
class PoseTrack:
    """Landmarks of one person over ``T`` frames.

    Attributes
    ----------
    xyz : ndarray, shape (T, 33, 3), float32
        Landmark positions. ``x`` and ``y`` are in pixels of the upright frame
        (origin top-left, ``y`` down); ``z`` is MediaPipe's relative depth scaled
        like ``x``. Frames or landmarks without a detection are NaN.
    visibility : ndarray, shape (T, 33), float32
        MediaPipe visibility in [0, 1]; 0 where nothing was detected.
    t : ndarray, shape (T,), float64
        Frame timestamps in seconds from the start of the video.
    width, height : int
        Frame size in pixels (after rotation metadata is applied).
    fps : float
        Nominal frame rate of the source.
    """

    xyz: np.ndarray
    visibility: np.ndarray
    t: np.ndarray
    width: int
    height: int
    fps: float

    def __post_init__(self) -> None:
        xyz = _check("xyz", self.xyz, (None, N_LANDMARKS, 3), np.float32)
        n = xyz.shape[0]
        vis = _check("visibility", self.visibility, (n, N_LANDMARKS), np.float32)
        t = _check("t", self.t, (n,), np.float64)
        if n > 1 and not np.all(np.diff(t) > 0):
            raise InputError("PoseTrack.t: expected strictly increasing timestamps")
        if self.width <= 0 or self.height <= 0:
            raise InputError(f"PoseTrack: expected a positive frame size, got {self.width}x{self.height}")
        object.__setattr__(self, "xyz", xyz)
        object.__setattr__(self, "visibility", vis)
        object.__setattr__(self, "t", t)

    def __len__(self) -> int:
        return self.xyz.shape[0]

    @property
    def xy(self) -> np.ndarray:
        """Image-plane positions, shape (T, 33, 2), pixels."""
        return self.xyz[..., :2]

    @functools.cached_property
    def xy_planar(self) -> np.ndarray:
        """Image positions in coordinate-first layout, shape (2, T, 33), float32 pixels; computed once.

        ``[0]`` is ``x`` and ``[1]`` is ``y``; each is a contiguous (T, 33) block,
        which is what fast vectorized geometry over long tracks needs.
        """
        return np.ascontiguousarray(np.moveaxis(self.xyz[..., :2], -1, 0))

    def joint_xy(self, group: np.ndarray) -> np.ndarray:
        """Positions of the landmarks in ``group``, shape (2 coords, T, len(group)), float32 pixels.

        Kept per group: the baseline, the per-frame measures and the view all read the
        same joints, and on long tracks the copy costs more than the arithmetic.
        """
        cache = self.__dict__.setdefault("_joint_cache", {})
        key = tuple(int(i) for i in np.atleast_1d(group))
        if key not in cache:
            cache[key] = np.take(self.xy_planar, key, axis=2)  # take: ~3x faster than fancy indexing
            cache[key].flags.writeable = False  # shared by every reader
        return cache[key]

    @property
    def detected(self) -> np.ndarray:
        """Frames with a pose, shape (T,), bool."""
        return ~np.isnan(self.xyz[:, LM.LEFT_HIP, 0])

    def replace(self, **changes) -> "PoseTrack":
        """Return a copy with some fields replaced (validated again)."""
        return dataclasses.replace(self, **changes)

    def slice(self, start: int, stop: int) -> "PoseTrack":
        """Frames ``start:stop`` as a new track."""
        return self.replace(xyz=self.xyz[start:stop], visibility=self.visibility[start:stop], t=self.t[start:stop])

    def in_picture(self) -> "PoseTrack":
        """The track with every landmark outside the picture missing (NaN, visibility 0), as if not detected.

        MediaPipe places a joint it cannot see anyway, with a visibility often above 0.5: feet cut off by the
        bottom of the frame came with visibilities of 0.5-0.9, and their toes vetoed a collapsing knee as
        "outside its toes". See :func:`outside_picture`.
        """
        out = _outside(*self.xy_planar, self.width, self.height)  # the planar copy is wanted later anyway
        if not out.any():
            return self
        xyz, vis = unseen_outside(self.xyz, self.visibility, out)
        return self.replace(xyz=xyz, visibility=vis)

    @classmethod
    def empty(cls, width: int, height: int, fps: float) -> "PoseTrack":
        return cls(np.zeros((0, N_LANDMARKS, 3), np.float32), np.zeros((0, N_LANDMARKS), np.float32),
                   np.zeros(0), width, height, fps)

    # --- persistence -----------------------------------------------------
    def save(self, path: str | Path, **meta: str) -> None:
        """Write the track to ``path`` (``.npz``); string ``meta`` is stored alongside."""
        np.savez_compressed(path, xyz=self.xyz, visibility=self.visibility, t=self.t,
                            size=np.array([self.width, self.height]), fps=np.array(self.fps),
                            **{f"meta_{k}": np.array(v) for k, v in meta.items()})

    @classmethod
    def load(cls, path: str | Path) -> tuple["PoseTrack", dict[str, str]]:
        """Read a track written by :meth:`save`; returns ``(track, meta)``."""
        try:
            with np.load(path, allow_pickle=False) as z:
                track = cls(z["xyz"], z["visibility"], z["t"], int(z["size"][0]), int(z["size"][1]), float(z["fps"]))
                meta = {k[5:]: str(z[k]) for k in z.files if k.startswith("meta_")}
        except FileNotFoundError:
            raise InputError(f"{path}: no such landmark file") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}: not a knee-cv landmark file ({exc})") from None
        track.check_values(str(path))
        return track, meta

    #: landmarks further than this many frame sizes outside the frame are not landmarks
    MAX_OUTSIDE = 10.0

    def check_values(self, where: str) -> None:
        """Raise :class:`InputError` unless the values are usable: a real frame rate, finite timestamps,
        landmarks finite (or NaN, not detected) and within a sane distance of the frame (a file scaled by
        1e30 once read as "single-leg squat, 18 reps")."""
        if not (np.isfinite(self.fps) and 1.0 <= self.fps <= 1000.0):
            raise InputError(f"{where}: frame rate {self.fps} is not one a video has (1-1000 fps)")
        if not np.isfinite(self.t).all():
            raise InputError(f"{where}: timestamps are not all finite numbers")
        if np.isinf(self.xyz).any() or not np.isfinite(self.visibility).all():
            raise InputError(f"{where}: landmarks hold infinite values")
        limit = self.MAX_OUTSIDE * max(self.width, self.height)
        with np.errstate(invalid="ignore"):
            if (np.abs(self.xyz[..., :2]) > limit).any():
                raise InputError(f"{where}: landmarks lie more than {self.MAX_OUTSIDE:g} frame sizes outside the "
                                 f"{self.width}x{self.height} frame (scaled or not pixel coordinates)")
