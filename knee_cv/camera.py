"""Camera cuts in edited video: the picture jumps (a zoom or a pan between two shots) while the body does not.

Depth is the hip's descent below its standing height in the picture, in standing leg lengths, so a cut
that moves or zooms the picture moves every later depth with it: a cut pasted into a real clip of good
squats, moving the picture down by 8 % of its height, read all its later knee-reps as mild or moderate
valgus (the squat measure adds 120 deg per leg length of depth). A body cannot move far in one frame, and
across a cut of the same scene it keeps its shape: so a frame the whole pose jumps into, by a zoom and a
shift that map the pose before it onto the pose after it, starts a new shot, and the frames from there on
are mapped back into the first shot's picture before anything is measured.

A cut to another angle (front to side) or to another moment does not keep the pose's shape and is left
alone: the view of each rep is decided on its own (:mod:`knee_cv.view`). A camera that moves smoothly is not
a cut: one that moves and then holds is found by :mod:`knee_cv.place`; one that keeps moving (handheld) is not
corrected (README, "Limits").
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .kinematics import Baseline, joints, norm, pair_mean, seen_median, standing_baseline
from .track import ANKLE, HIP, LM, PoseTrack

#: Landmarks a cut is found and fitted on: shoulders, hips, knees, ankles, heels and toes.
BODY = np.array([LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER, *range(LM.LEFT_HIP, LM.RIGHT_FOOT_INDEX + 1)])


@dataclasses.dataclass(frozen=True)
class CutSettings:
    """When a jump of the whole pose is a camera cut.

    Lengths are fractions of the standing leg length ``L`` (hip to ankle) in the picture before the jump.
    """

    #: over two frames the median landmark moves at least this far, or the pose's spread changes by this
    #: (log); a squatting hip moves at most about 0.04 L per frame at 30 fps, pasted cuts moved 0.12-0.2 L
    #: and real single-shot clips at most 0.07 L; the zoom or shift fitted across the cut must hold this much
    min_jump: float = 0.10
    #: and the frame's own jump is at least this many times any of the 3 before it (calm before the cut)
    calm_ratio: float = 4.0
    #: the pose after the cut is the pose before it, scaled and shifted, within this median distance (another
    #: angle, another moment or another person fits worse)
    max_misfit: float = 0.05
    #: zooms beyond this factor are taken for another person or another scene
    max_zoom: float = 2.0
    #: a camera or a person that moved and held (no jump) is looked for over this many seconds, every half
    #: second, in live mode and in recorded video (:mod:`knee_cv.place`)
    move_window_s: float = 2.0
    #: in a bilateral squat the feet stay planted: if over the reps' frames their height in the picture spans
    #: more than this (leg lengths, 5th to 95th percentile) the camera kept moving, and every depth with it
    #: (0.15 L is 18 deg of the squat measure); a ``camera_moving`` warning says so
    max_feet_drift: float = 0.15


@dataclasses.dataclass(frozen=True)
class CameraCuts:
    """Where the picture jumped and how to undo it.

    Attributes
    ----------
    frames : ndarray, shape (K,), int
        First frame of each new shot.
    scale : ndarray, shape (T,), float64
        Per frame, the zoom that maps its picture into the first shot's (1 before the first cut).
    shift : ndarray, shape (T, 2), float64
        Per frame, the shift that follows the zoom, pixels: ``first_shot = scale * picture + shift``.
    began : ndarray, shape (K,), int
        Where each change began: ``frames`` for a cut, earlier for a camera or a person that moved and held
        (:func:`knee_cv.place.find_moves`).
    """

    frames: np.ndarray
    scale: np.ndarray
    shift: np.ndarray
    began: np.ndarray

    @classmethod
    def chain(cls, T: int, changes: list[tuple[int, int, float, np.ndarray]]) -> "CameraCuts":
        """Per-frame maps into the first picture over ``T`` frames from ``changes``: (frame the change began,
        first frame of the new picture, zoom ``s``, shift ``d``: ``new = s * old + d``), in order. A new
        picture maps to the old one as ``(p - d) / s``, then on as the old one does; during a change that takes
        frames (a camera or a person moving) the map follows it in proportion: held only from the new picture,
        the move's own frames read as a rep in a clip moved down by 8 % of the picture."""
        scale, shift = np.ones(T), np.zeros((T, 2))
        for began, at, s, d in changes:
            w = np.clip((np.arange(began, T) - began + 1) / (at - began + 1), 0, 1)[:, None]  # 1 from ``at`` on
            zw, dw = 1 + w * (s - 1), w * d  # the part of the change done by each frame
            s0, d0 = (scale[began - 1], shift[began - 1]) if began else (1.0, np.zeros(2))
            scale[began:], shift[began:] = s0 / zw[:, 0], d0 - s0 * dw / zw
        return cls(np.array([c[1] for c in changes]), scale, shift, np.array([c[0] for c in changes]))

    def steady(self, track: PoseTrack) -> PoseTrack:
        """``track`` in the first shot's picture (``z`` is scaled like ``x``)."""
        xyz = track.xyz.astype(np.float64) * self.scale[:, None, None]
        xyz[..., :2] += self.shift[:, None, :]
        return track.replace(xyz=xyz.astype(np.float32))

    def then(self, other: "CameraCuts") -> "CameraCuts":
        """This map followed by ``other`` (both per frame, over the same frames)."""
        return CameraCuts(np.union1d(self.frames, other.frames), self.scale * other.scale,
                          other.scale[:, None] * self.shift + other.shift, np.union1d(self.began, other.began))

    def to_picture(self, track: PoseTrack) -> PoseTrack:
        """Undo :meth:`steady`: a track measured in the first shot's picture, placed back where it was filmed."""
        xyz = track.xyz.astype(np.float64)
        xyz[..., :2] -= self.shift[:, None, :]
        return track.replace(xyz=(xyz / self.scale[:, None, None]).astype(np.float32))


def fit_zoom(a: np.ndarray, b: np.ndarray, L: float) -> tuple[float, np.ndarray, float]:
    """Robust ``b ≈ s a + d`` over the points seen in both, (N, 2) each: ``(s, d, misfit)``, NaN if too few.

    ``s`` is the median ratio of the distances between points at least ``0.3 L`` apart, ``d`` the median
    shift, ``misfit`` the median distance left (pixels): a foot MediaPipe guesses at a picture's edge
    moves a least-squares fit, not these.
    """
    ok = np.isfinite(a).all(1) & np.isfinite(b).all(1)
    a, b = a[ok], b[ok]
    i, j = np.triu_indices(len(a), 1)
    da, db = np.linalg.norm(a[i] - a[j], axis=-1), np.linalg.norm(b[i] - b[j], axis=-1)
    far = da > 0.3 * L
    if len(a) < 4 or far.sum() < 3:
        return float("nan"), np.full(2, np.nan), float("nan")
    s = float(np.median(db[far] / da[far]))
    d = np.median(b - s * a, axis=0)
    return s, d, float(np.median(np.linalg.norm(s * a + d - b, axis=-1)))


def leg_length(track: PoseTrack) -> float:
    """The standing leg length, pixels: the 90th percentile of the hip-to-ankle distance (NaN if never seen)."""
    hip, ankle = joints(track, HIP, ANKLE)
    legs = pair_mean(norm(hip - ankle))
    legs = legs[np.isfinite(legs)]
    return float(np.percentile(legs, 90)) if legs.size else float("nan")


def _jumps(xy: np.ndarray, L: float, settings: CutSettings) -> np.ndarray:
    """Frames the whole pose jumps into, after calm frames: candidate cuts, shape (K,), int.

    ``xy`` (T, N, 2) pixels. The jump into a frame is the larger of the median landmark's move (in ``L``) and
    the change of the log of the pose's spread (a zoom about the body's middle barely moves the median
    landmark). MediaPipe's own smoothing spreads a cut over two frames, so the jump is read over two. The
    medians are taken only where the root mean square move could reach it (a median is at most twice the
    mean): on an hour of landmarks, sorting every frame's moves cost 0.4 s.
    """
    # MediaPipe places all landmarks of a frame or none: a frame without a person is NaN throughout, and
    # plain means and logs carry it quietly (the nan-functions would warn)
    body = xy - xy.mean(axis=1, keepdims=True)
    spread = 0.5 * np.log(np.einsum("tnc,tnc->t", body, body) / xy.shape[1])

    def step(i: np.ndarray, k: int) -> np.ndarray:  # the jump from frames i to i + k (NaN unless both seen)
        d = xy[i + k].astype(np.float64) - xy[i]
        return np.fmax(np.median(np.sqrt((d ** 2).sum(-1)), axis=1) / L, np.abs(spread[i + k] - spread[i]))

    d2 = xy[2:] - xy[:-2]
    with np.errstate(invalid="ignore"):
        could = (4 * np.einsum("tnc,tnc->t", d2, d2) / xy.shape[1] >= (settings.min_jump * L) ** 2) \
            | (np.abs(spread[2:] - spread[:-2]) >= settings.min_jump)
    i = np.flatnonzero(could)
    i = i[(i >= 3) & (i + 3 < len(xy))]  # from frame i to i + 2; t = i + 1 is the frame jumped into
    with np.errstate(invalid="ignore"):
        i = i[step(i, 2) >= settings.min_jump]
        calm = np.fmax.reduce([step(i - k, 1) for k in (1, 2, 3)]) if i.size else np.zeros(0)
        i = i[step(i, 1) >= settings.calm_ratio * calm]
    return i + 1


def _held(s: float, d: np.ndarray, at: np.ndarray, L: float) -> float:
    """How far ``s``, ``d`` move the pose ``at`` (N, 2): the larger of its zoom (log) and its centre's shift (L)."""
    return max(abs(np.log(s)), float(np.linalg.norm((s - 1) * np.nanmean(at, axis=0) + d)) / L)


def _standing_pose(track: PoseTrack, start: int, stop: int) -> np.ndarray | None:
    """The median pose (N, 2) of the frames ``start:stop`` that show the person standing, or None."""
    base = standing_baseline(track.slice(start, stop))
    return None if base is None else seen_median(track.xy[start + base.frames][:, BODY])


def find_cuts(track: PoseTrack, settings: CutSettings = CutSettings()) -> CameraCuts | None:
    """Camera cuts in ``track`` (raw landmarks), or None when the picture never jumps.

    A jump is a cut when the pose two frames after it (MediaPipe has settled) is the pose before it, moved
    on at its speed over the 3 frames before, zoomed and shifted, and the zoom and shift hold. The map is
    then fitted again on the two shots' standing poses, medians over many frames, and the better of the two
    fits is kept: at the bottom of a squat the pose two frames after a pasted pan read 7.5 % zoomed, and a
    shot that never stands up has no standing pose to fit.
    """
    xy = track.xy[:, BODY]  # (T, N, 2), float32
    L, T = leg_length(track), len(track)
    if T < 8 or not np.isfinite(L):
        return None
    fits = []
    for t in _jumps(xy, L, settings):
        near = xy[t - 3:t + 3].astype(np.float64)  # frames t - 3 .. t + 2
        before = near[2] + 1.5 * (near[2] - near[0])  # where the pose would be at t + 2, in the old picture
        s, d, misfit = fit_zoom(before, near[5], L)
        if (np.isfinite(s) and 1 / settings.max_zoom <= s <= settings.max_zoom
                and misfit <= settings.max_misfit * s * L and _held(s, d, before, L) >= settings.min_jump):
            fits.append((int(t), s, d, misfit))  # else another angle, another moment, or a glitch that did not hold
    if not fits:
        return None
    bounds = [0, *(f[0] for f in fits), T]
    changes = []
    for k, (t, s, d, misfit) in enumerate(fits):
        old, new = _standing_pose(track, bounds[k], t), _standing_pose(track, t, bounds[k + 2])
        if old is not None and new is not None:  # the better fit wins: a shot may never stand up
            s2, d2, misfit2 = fit_zoom(old, new, L)
            if np.isfinite(s2) and misfit2 < misfit:
                s, d = s2, d2
        changes.append((t, t, s, d))  # a cut: from one frame to the next
    return CameraCuts.chain(T, changes)


def shot_depth(depth: np.ndarray, track: PoseTrack, base: Baseline, starts: np.ndarray, near: float = 0.02
               ) -> np.ndarray:
    """``depth`` (T,), measured against the whole clip's ``base``, read again against each shot's own standing
    height and leg length where it shows the person standing.

    ``track`` is steadied (:meth:`CameraCuts.steady`), ``starts`` the first frames of the later shots. The
    fitted zoom is a few per cent off (MediaPipe does not place a zoomed body exactly zoomed: the same frames
    panned read 1.4 % smaller), which would move a shot's depths by about 0.01-0.02 L; a shot's own standing
    frames do not depend on the fit. A shot whose highest hips are more than ``near`` L (about the fit's own
    error) from the clip's standing height may never have stood up (a shot inside a rep), and keeps the
    clip's: either way its depths are within about ``near`` L.
    """
    hip_y = depth * base.leg_length + base.hip_y
    out = depth.copy()
    bounds = [0, *starts.tolist(), len(track)]
    for a, b in zip(bounds[:-1], bounds[1:]):
        own = standing_baseline(track.slice(a, b))
        if own is not None and abs(own.hip_y - base.hip_y) <= near * base.leg_length:
            out[a:b] = (hip_y[a:b] - own.hip_y) / own.leg_length
    return out


def where(cuts: CameraCuts, t: np.ndarray) -> str:
    """When the picture changed and by what zoom: "9.5 s (zoom x0.81), 12.0 s"."""
    zooms = cuts.scale[np.maximum(cuts.began - 1, 0)] / cuts.scale[cuts.frames]
    return ", ".join(f"{t[f]:.1f} s" + (f" (zoom x{z:.2f})" if abs(z - 1) >= 0.05 else "")
                     for f, z in zip(cuts.began, zooms))


def cut_text(cuts: CameraCuts, t: np.ndarray) -> str:
    """The ``camera_cut`` warning: where the picture jumped, by what zoom, and what was done about it."""
    return (f"the picture jumps at {where(cuts, t)}, a cut between shots: later shots were mapped back onto the "
            "first, so depths read as if the camera had not moved")
