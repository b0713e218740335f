"""Frontal-plane knee and pelvis measures, vectorized over frames and sides.

Conventions
-----------
* Arrays indexed ``[..., side]`` use side 0 = subject's left, 1 = subject's right.
* "Medial" is the direction from a hip toward the other hip, so every measure
  means the same in a front and in a back view.
* Lengths are divided by the person's standing leg length ``L`` (hip to ankle),
  so values do not depend on distance to the camera.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .track import ANKLE, HEEL, HIP, KNEE, LM, SHOULDER, TOE, PoseTrack

_ARMS = np.array([LM.LEFT_ELBOW, LM.RIGHT_ELBOW, LM.LEFT_WRIST, LM.RIGHT_WRIST])


@dataclasses.dataclass(frozen=True)
class TrustSettings:
    """When a knee or foot landmark is believed. See README, "Trusted frames"."""

    min_visibility: float = 0.5
    #: a knee closer than this (fraction of L) to an elbow or wrist that is seen (``min_visibility``) is likely an arm
    min_knee_arm_distance: float = 0.25
    #: projected segment length allowed, as a ratio to the standing length
    thigh_ratio: tuple[float, float] = (0.0, 1.25)
    shank_ratio: tuple[float, float] = (0.6, 1.25)
    foot_ratio: tuple[float, float] = (0.4, 1.8)


@dataclasses.dataclass(frozen=True)
class Baseline:
    """The person's standing posture, medians over ``frames``.

    Attributes
    ----------
    leg_length : float
        Hip-to-ankle length in pixels (mean of both sides), the body-size unit ``L``.
    thigh, shank, foot : ndarray, shape (2,)
        Projected segment lengths in pixels per side.
    hip_y : float
        Mid-hip height in pixels (image ``y``, down is positive).
    pelvic_tilt_deg : float
        Standing pelvic obliquity, degrees (positive = left hip lower).
    trunk_lean_deg : float
        Standing trunk lean, degrees (positive = toward the subject's left); NaN
        where the shoulders were never seen.
    knee_toe_dev : ndarray, shape (2,)
        Standing knee-over-toe deviation per side, fraction of ``leg_length``
        (NaN where the toes were never seen).
    frames : ndarray of int
        Frame indices the baseline was taken from.
    toe_out_deg : float
        How far the feet are turned out while standing, degrees, the mean of both feet (a body turn adds
        to one and takes from the other); NaN where heels and toes were not seen (:func:`toe_out_deg`).
    """

    leg_length: float
    thigh: np.ndarray
    shank: np.ndarray
    foot: np.ndarray
    hip_y: float
    pelvic_tilt_deg: float
    trunk_lean_deg: float
    knee_toe_dev: np.ndarray
    frames: np.ndarray
    toe_out_deg: float = float("nan")
    #: the camera's roll: the standing hip line against the image horizontal, degrees, clockwise on screen
    #: (:func:`camera_roll_deg`); a standing pelvis is taken as level, as for pelvic drop
    roll_deg: float = 0.0


@dataclasses.dataclass(frozen=True)
class FrameMetrics:
    """Per-frame measures; NaN where the landmarks needed are missing.

    Attributes
    ----------
    knee_toe_dev : ndarray, shape (T, 2)
        Knee minus foot-index position along the medial axis, fraction of ``L``;
        positive = knee medial of the toe (toward valgus).
    knee_toe_shift : ndarray, shape (T, 2)
        ``knee_toe_dev`` minus its standing value: how far the knee moved medially
        relative to the foot since standing (fraction of ``L``).
    fppa_deg : ndarray, shape (T, 2)
        Frontal plane projection angle, degrees; positive = valgus.
    knee_sep_ratio : ndarray, shape (T,)
        Knee separation divided by ankle separation along the medial axis.
    pelvic_drop_deg : ndarray, shape (T,)
        Pelvic obliquity minus the standing value, degrees; positive = left side lower.
    trunk_lean_deg : ndarray, shape (T,)
        Trunk lean minus the standing value, degrees; positive = toward the subject's left.
    depth : ndarray, shape (T,)
        Mid-hip descent below standing, fraction of ``L``.
    knee_trusted : ndarray, shape (T, 2), bool
        Frames whose knee, hip and ankle pass :class:`TrustSettings`.
    toe_trusted : ndarray, shape (T, 2), bool
    feet_seen : ndarray, shape (T, 2), bool
        Frames whose ankle passes the visibility threshold and whose toes are placed (in the picture): a knee
        is measured against its foot, so without it the knee cannot be trusted.
    pelvis_trusted : ndarray, shape (T,), bool
    trunk_trusted : ndarray, shape (T,), bool
        Frames whose hips and shoulders pass the visibility threshold.
    """

    t: np.ndarray
    knee_toe_dev: np.ndarray
    knee_toe_shift: np.ndarray
    fppa_deg: np.ndarray
    knee_sep_ratio: np.ndarray
    pelvic_drop_deg: np.ndarray
    depth: np.ndarray
    knee_trusted: np.ndarray
    toe_trusted: np.ndarray
    feet_seen: np.ndarray
    pelvis_trusted: np.ndarray
    trunk_lean_deg: np.ndarray
    trunk_trusted: np.ndarray

    def slice(self, start: int, stop: int) -> "FrameMetrics":
        """Frames ``start:stop`` (live mode keeps one row per frame)."""
        return FrameMetrics(**{f.name: getattr(self, f.name)[start:stop] for f in dataclasses.fields(self)})

    @classmethod
    def concat(cls, rows: list["FrameMetrics"]) -> "FrameMetrics":
        """Metrics of consecutive frame ranges joined along time (live mode gathers a rep's frames)."""
        return cls(**{f.name: np.concatenate([getattr(r, f.name) for r in rows])
                      for f in dataclasses.fields(cls)})


# Per-frame math uses a coordinate-first layout: a point array has shape (2, T, ...)
# with [0] = x and [1] = y. Every operand is then a contiguous (T, ...) block; numpy
# is ~20x slower on the short strided inner axes of a (T, ..., 2) layout.

def norm(v: np.ndarray) -> np.ndarray:
    return np.sqrt(v[0] * v[0] + v[1] * v[1])  # np.hypot is ~9x slower


def dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[0] * b[0] + a[1] * b[1]


def seen_median(a: np.ndarray) -> np.ndarray:
    """Median over axis 0 of the finite values, float64, shape ``a.shape[1:]``; NaN (without a warning) where a
    column has none: a joint never in the picture (:meth:`knee_cv.track.PoseTrack.in_picture`) has no median."""
    a = np.asarray(a, np.float64)
    seen = np.isfinite(a).any(0)
    out = np.full(a.shape[1:], np.nan)
    if seen.any():
        out[seen] = np.nanmedian(a[:, seen], axis=0)
    return out


def pair_mean(a: np.ndarray) -> np.ndarray:
    """Mean over a last axis of length 2 (left, right); ``.mean(-1)`` on that strided axis is ~20x slower."""
    return (a[..., 0] + a[..., 1]) * np.asarray(0.5, a.dtype)


def all_last(a: np.ndarray) -> np.ndarray:
    """``a.all(-1)`` for a short last axis (sides, a few joints), column by column: ~15x faster on long tracks."""
    out = a[..., 0].copy()
    for i in range(1, a.shape[-1]):
        out &= a[..., i]
    return out


def joints(track: PoseTrack, *groups: np.ndarray) -> list[np.ndarray]:
    """Image positions of landmark index arrays, each shape (2 coords, T, len(group)), float32 pixels.

    Per-frame math stays in float32 (1e-4 px resolution at 4K, far below landmark
    noise): on long tracks memory traffic, not arithmetic, sets the speed.
    """
    return [track.joint_xy(g) for g in groups]


def medial_axis(hip: np.ndarray) -> np.ndarray:
    """Unit vector from each hip toward the other.

    Parameters
    ----------
    hip : ndarray, shape (2 coords, T, 2 sides), pixels

    Returns
    -------
    ndarray, shape (2 coords, T, 2 sides)
    """
    m = hip[..., ::-1] - hip
    return m / norm(m)


def pelvic_tilt_deg(hip: np.ndarray) -> np.ndarray:
    """Pelvic obliquity per frame, degrees; positive = subject's left hip lower in the image.

    Parameters
    ----------
    hip : ndarray, shape (2 coords, T, 2 sides), pixels
    """
    d = hip[..., 0] - hip[..., 1]
    return np.degrees(np.arctan2(d[1], np.abs(d[0])))


def camera_roll_deg(hip: np.ndarray) -> np.ndarray:
    """The hip line's angle against the image horizontal per frame, degrees, clockwise on screen (image ``y``
    down), whichever hip is on the left of the picture (front and back views alike).

    Parameters
    ----------
    hip : ndarray, shape (2 coords, T, 2 sides), pixels
    """
    d = hip[..., 1] - hip[..., 0]
    return np.degrees(np.arctan2(d[1] * np.sign(d[0]), np.abs(d[0])))


def level(xy: np.ndarray, roll_deg: float) -> np.ndarray:
    """Image points ``xy`` (..., 2) in pixels with the camera's roll taken out: ``x`` along the standing hip
    line, ``y`` across it (down). Heights compared between the two legs then do not depend on a tilted camera:
    at 3 degrees of roll a lateral lunge's feet, 1.3 leg lengths apart, differ by 0.07 leg lengths in ``y``."""
    r = np.radians(roll_deg)
    c, s = np.cos(r), np.sin(r)
    return np.stack([xy[..., 0] * c + xy[..., 1] * s, xy[..., 1] * c - xy[..., 0] * s], axis=-1)


def trunk_lean_deg(hip: np.ndarray, shoulder: np.ndarray) -> np.ndarray:
    """Lateral trunk lean per frame, degrees; positive = toward the subject's left.

    The angle of the mid-hip → mid-shoulder line against the image vertical. The
    hips say which image side is the subject's left, so the sign holds in front
    and back views. MediaPipe's hip line follows the trunk more than the pelvis,
    so a lean can show where a pelvic drop does not (README, "Accuracy").

    Parameters
    ----------
    hip, shoulder : ndarray, shape (2 coords, T, 2 sides), pixels
    """
    v = pair_mean(shoulder) - pair_mean(hip)
    left = np.sign(hip[0, :, 0] - hip[0, :, 1])  # +1 when the subject's left hip is on the image right
    return np.degrees(np.arctan2(left * v[0], -v[1]))


def fppa_deg(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, medial: np.ndarray) -> np.ndarray:
    """Frontal plane projection angle (Willson 2006; Munro 2012).

    Parameters
    ----------
    hip, knee, ankle, medial : ndarray, shape (2 coords, ...)
        Pixel positions and the medial unit vector, ``x`` first then ``y``.

    Returns
    -------
    ndarray, shape (...)
        Angle between thigh (hip→knee) and shank (knee→ankle) in degrees, 0 for a
        straight leg, positive when the knee lies medial of the hip–ankle line.
    """
    th, sh, line = knee - hip, ankle - knee, ankle - hip
    ang = np.degrees(np.arctan2(np.abs(th[0] * sh[1] - th[1] * sh[0]), dot(th, sh)))
    off = th - line * (dot(th, line) / dot(line, line))  # knee minus its foot on the hip-ankle line
    return ang * np.sign(dot(off, medial))


#: Beyond this turn the reconstruction is not attempted (nothing turned past 30 degrees is judged, and a side
#: view's forward reach would stand in for its sideways position).
SQUARE_ON_MAX_DEG = 45.0


def frontal_plane(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, toe: np.ndarray, base: Baseline,
                  turn_deg: np.ndarray) -> tuple[np.ndarray, ...]:
    """The leg as it would be seen square-on: each joint's sideways position with the body's turn taken out.

    A body turned by ``theta`` shows a joint that sits ``Z`` in front of another at ``X cos(theta) +
    Z sin(theta)`` sideways from it, so a knee bent forward in a squat slides toward one side of the picture
    and its FPPA leans one way on one leg and the other way on the other (at 10 degrees of turn, about 16
    degrees of measure). ``Z`` follows from each segment's standing length (its length in 3D, since a
    standing leg lies in the frontal plane) and its projection (Taylor 2000, scaled orthography): the shank
    and foot point forward from the ankle, the thigh back from the knee. The turn comes from
    :func:`knee_cv.view.rep_views`; a turn of 0 changes nothing.

    Parameters
    ----------
    hip, knee, ankle, toe : ndarray, shape (2 coords, T, 2 sides), pixels
    turn_deg : ndarray, shape (T,)
        + = turned toward the subject's left; NaN, or beyond ``SQUARE_ON_MAX_DEG``, is taken as 0.

    Returns
    -------
    hip, knee, ankle, toe, medial : ndarray, shape (2 coords, T, 2 sides)
        Coordinates along the subject's left (``[0]``) and down the body (``[1]``), pixels, the ankle at 0;
        ``medial`` the unit vector toward the other leg in those coordinates.
    """
    u = hip[..., 0] - hip[..., 1]                 # (2, T) toward the subject's left, in front and back views
    u = u / norm(u)
    with np.errstate(invalid="ignore"):
        turn = np.where(np.abs(turn_deg) <= SQUARE_ON_MAX_DEG, turn_deg, 0.0)  # NaN compares False: 0
    th = np.radians(turn).astype(np.float32)[:, None]
    c, s = np.cos(th), np.sin(th)

    def sideways(d: np.ndarray, length: np.ndarray, forward: float) -> tuple[np.ndarray, np.ndarray]:
        x, y = d[0] * u[0, :, None] + d[1] * u[1, :, None], d[1] * u[0, :, None] - d[0] * u[1, :, None]
        reach = np.sqrt(np.maximum(length.astype(np.float32) ** 2 - x * x - y * y, 0.0))  # toward the camera
        return x * c - s * (forward * reach), y

    kx, ky = sideways(knee - ankle, base.shank, 1.0)
    hx, hy = sideways(hip - knee, base.thigh, -1.0)
    tx, ty = sideways(toe - ankle, np.nan_to_num(base.foot), 1.0)
    zero = np.zeros_like(kx)
    side = np.broadcast_to(np.array([-1.0, 1.0], np.float32), kx.shape)  # the left leg's medial is the right
    return (np.stack([kx + hx, ky + hy]), np.stack([kx, ky]), np.stack([zero, zero]), np.stack([tx, ty]),
            np.stack([side, zero]))


def square_on(metrics: FrameMetrics, track: PoseTrack, base: Baseline, turn_deg: np.ndarray) -> FrameMetrics:
    """``metrics`` with the FPPA and the knee-over-toe deviation measured square-on (:func:`frontal_plane`).

    The turn is read from the nose and the feet, and on real clips those readings miss by 5-19 degrees (a
    person square to the camera read -19 from the nose). So the square-on measures are not the verdict: a
    knee is judged only where they and the measures as filmed agree (:func:`knee_cv.faults.evaluate_reps`).

    Parameters
    ----------
    turn_deg : ndarray, shape (T,)
        The body's turn per frame, degrees (each rep's own, :class:`knee_cv.view.RepView`).
    """
    hip, knee, ankle, toe = joints(track, HIP, KNEE, ANKLE, TOE)
    h, k, a, t, m = frontal_plane(hip, knee, ankle, toe, base, turn_deg)
    return dataclasses.replace(metrics, fppa_deg=fppa_deg(h, k, a, m),
                               knee_toe_dev=dot(k - t, m) / np.float32(base.leg_length))


#: Heel-to-toe over hip-to-ankle length as MediaPipe places them on real people: 0.244-0.288 (median 0.267) on
#: the five real side views standing, where the foot is seen whole.
FOOT_LENGTH_LEG = 0.267


def toe_out_deg(hip: np.ndarray, heel: np.ndarray, toe: np.ndarray, leg_length: float) -> float:
    """How far the feet are turned out, degrees: each foot's heel-to-toe reach away from the midline, over its
    length (``FOOT_LENGTH_LEG`` of the leg), is the sine of its turn-out; the median over frames, then the
    mean of both feet. Seen from the front or the back alike; NaN without heels and toes.

    Parameters
    ----------
    hip, heel, toe : ndarray, shape (2 coords, T, 2 sides), pixels
        Standing frames.
    """
    u = hip[..., 0] - hip[..., 1]                       # toward the subject's left, in front and back views
    u = u / norm(u)
    reach = dot(toe - heel, u[..., None]) * np.array([1.0, -1.0], np.float32)  # the left foot's out is +u
    with np.errstate(invalid="ignore"):
        ratio = np.nanmedian(reach.astype(np.float64), 0) / (FOOT_LENGTH_LEG * leg_length) \
            if np.isfinite(reach).any(0).all() else np.full(2, np.nan)
    return float(np.degrees(np.arcsin(np.clip(ratio, -1.0, 1.0))).mean())


#: standing frames among ``standing_baseline``'s ``among`` whose hip-to-ankle length is within this fraction of
#: their median: the person at the distance they squat at (a step nearer or farther changes it by more)
SAME_SIZE = 0.10
#: a standing frame has a foot within this many leg lengths of its floor (:func:`on_the_floor`): a jump squat's
#: airborne frames have the hips highest and the legs straight, and were taken for standing
OFF_FLOOR = 0.05
#: ... a foot's floor being where its ankle sat lowest in the picture within this many seconds either side (a
#: camera that pans or tilts moves the floor in the picture, slowly; a jump lasts well under a second)
FLOOR_S = 0.5


def on_the_floor(ankle_y: np.ndarray, t: np.ndarray, leg: float) -> np.ndarray:
    """Frames with a foot on the floor, shape (T,), bool: an ankle within ``OFF_FLOOR`` leg lengths of the lowest
    it sat in the picture within ``FLOOR_S`` seconds either side; False where no ankle is seen.

    Each foot has its own floor (a single-leg squat's free foot, a lunge's stepping foot, come and go while the
    other stands), and a foot whose floor itself wanders by more than ``OFF_FLOOR`` (a handheld camera, a foot at
    the picture's edge, a free foot) says nothing: with neither foot steady, every seen frame counts.

    Parameters
    ----------
    ankle_y : ndarray, shape (T, 2), pixels
    t : ndarray, shape (T,), seconds
    leg : float
        Leg length, pixels.
    """
    step = float(np.median(np.diff(t))) if len(t) > 1 else 1.0
    half = int(round(FLOOR_S / step)) if step > 0 else 0
    padded = np.pad(np.where(np.isfinite(ankle_y), ankle_y, -np.inf), ((half, half), (0, 0)), mode="edge")
    floor = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1, axis=0).max(-1)  # (T, 2)
    floor = np.where(np.isfinite(floor), floor, np.nan)
    with np.errstate(invalid="ignore"):
        spread = np.array([np.ptp(np.nanpercentile(floor[:, s], [5, 95])) if np.isfinite(floor[:, s]).any()
                           else np.inf for s in range(2)])
        voting = (spread <= OFF_FLOOR * leg) & np.isfinite(ankle_y)   # (T, 2): a steady foot, seen
        up = voting & (ankle_y < floor - OFF_FLOOR * leg)
    # in the air: every foot that can tell is off its floor
    return np.isfinite(ankle_y).any(-1) & ~(voting.any(-1) & (up == voting).all(-1))


def standing_baseline(track: PoseTrack, among: np.ndarray | None = None) -> Baseline | None:
    """Estimate the standing posture: frames with the hips highest and legs straight, a foot on the floor
    (:func:`on_the_floor`: not the airborne frames of a jump squat).

    ``among`` (T,) bool, optional: the frames to look in (those near the reps: where the person squats).
    Returns None when fewer than 3 frames show the whole lower body.
    """
    hip, knee, ankle, toe, shoulder, heel = joints(track, HIP, KNEE, ANKLE, TOE, SHOULDER, HEEL)
    thigh, shank, foot = norm(knee - hip), norm(ankle - knee), norm(toe - ankle)
    hip_y = pair_mean(hip[1])
    ok = np.isfinite(hip_y) & all_last(np.isfinite(thigh)) & all_last(np.isfinite(shank))
    if among is not None:
        ok &= among
    if ok.sum() < 3:
        return None
    th, sh = knee - hip, ankle - knee  # |FPPA| < 20 deg, without the trigonometry:
    straight = ok & all_last(np.abs(th[0] * sh[1] - th[1] * sh[0]) < np.tan(np.radians(20)) * dot(th, sh))
    pool = straight if straight.sum() >= 3 else ok
    legs = pair_mean(norm(hip - ankle))
    if among is not None:  # and at the size they squat at: not the last steps of walking in, nearer or farther
        size = np.abs(legs / np.median(legs[pool]) - 1) <= SAME_SIZE
        pool = pool & size if (pool & size).sum() >= 3 else pool
    floor = on_the_floor(ankle[1], track.t, float(np.median(legs[pool])))  # not in the air (a jump squat)
    pool = pool & floor if (pool & floor).sum() >= 3 else pool
    top = pool & (hip_y <= np.percentile(hip_y[pool], 25))
    frames = np.flatnonzero(top)
    med = lambda a: np.median(a[frames].astype(np.float64), 0)  # noqa: E731
    at = lambda a: np.take(a, frames, axis=1)  # noqa: E731 - take: ~3x faster than fancy indexing
    hip, knee, ankle, toe, shoulder, heel = at(hip), at(knee), at(ankle), at(toe), at(shoulder), at(heel)
    leg_length = float(np.median(pair_mean(norm(hip - ankle).astype(np.float64))))
    dev = dot(knee - toe, medial_axis(hip)) / leg_length
    lean = trunk_lean_deg(hip, shoulder).astype(np.float64)
    return Baseline(
        leg_length=leg_length,
        thigh=med(thigh), shank=med(shank),
        foot=seen_median(foot[frames]),  # NaN for a foot never in the picture
        hip_y=float(med(hip_y)),
        pelvic_tilt_deg=float(np.median(pelvic_tilt_deg(hip).astype(np.float64))),
        trunk_lean_deg=float(np.nanmedian(lean)) if np.isfinite(lean).any() else float("nan"),
        knee_toe_dev=seen_median(dev),  # NaN for a side whose toes never were in the picture
        frames=frames,
        toe_out_deg=toe_out_deg(hip, heel, toe, leg_length),
        roll_deg=float(np.nanmedian(camera_roll_deg(hip).astype(np.float64))),
    )


def posture_moved(local: Baseline, base: Baseline, *, leg: float, hip: float) -> bool:
    """Whether standing posture ``local`` differs from ``base`` by more than its noise: the leg length by more
    than the fraction ``leg``, or the hip height by more than ``hip`` leg lengths (README, "Standing baseline")."""
    return (abs(local.leg_length / base.leg_length - 1) > leg
            or abs(local.hip_y - base.hip_y) > hip * base.leg_length)


def _within(x: np.ndarray, ref: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    r = x / ref
    return (r >= bounds[0]) & (r <= bounds[1])


def frame_metrics(track: PoseTrack, base: Baseline, trust: TrustSettings = TrustSettings()) -> FrameMetrics:
    """Compute every per-frame measure and its trust mask (see :class:`FrameMetrics`)."""
    vis = track.visibility
    L = np.float32(base.leg_length)
    hip, knee, ankle, toe, arms, shoulder = joints(track, HIP, KNEE, ANKLE, TOE, _ARMS, SHOULDER)
    med = medial_axis(hip)
    dev = dot(knee - toe, med) / L
    with np.errstate(invalid="ignore"):
        vis_ok = lambda idx: np.take(vis, idx, axis=1) >= trust.min_visibility  # noqa: E731
        arm_d2 = np.full(knee.shape[1:], np.inf, np.float32)  # squared distance to the nearest arm joint seen
        arm_seen = vis_ok(_ARMS)  # (T, 4): an arm joint MediaPipe does not see is a guess, not a confusion
        for j in range(arms.shape[2]):  # 4 joints; avoids a (2, T, 2, 4) temporary
            d = knee - arms[..., j, None]
            np.fmin(arm_d2, np.where(arm_seen[:, j, None], dot(d, d), np.inf), out=arm_d2)
        hips_seen, ankle_seen = vis_ok(HIP), vis_ok(ANKLE)
        knee_ok = (hips_seen & vis_ok(KNEE) & ankle_seen
                   & (arm_d2 > (trust.min_knee_arm_distance * L) ** 2)
                   & _within(norm(knee - hip), base.thigh, trust.thigh_ratio)
                   & _within(norm(ankle - knee), base.shank, trust.shank_ratio))
        toe_ok = vis_ok(TOE) & _within(norm(toe - ankle), base.foot, trust.foot_ratio)
        sep = np.abs(dot(knee[..., 0] - knee[..., 1], med[..., 0]) / dot(ankle[..., 0] - ankle[..., 1], med[..., 0]))
        lean = trunk_lean_deg(hip, shoulder) - np.float32(base.trunk_lean_deg)
        hips_ok = all_last(hips_seen)
    return FrameMetrics(
        t=track.t,
        knee_toe_dev=dev,
        knee_toe_shift=dev - base.knee_toe_dev.astype(np.float32),
        fppa_deg=fppa_deg(hip, knee, ankle, med),
        knee_sep_ratio=sep,
        pelvic_drop_deg=pelvic_tilt_deg(hip) - np.float32(base.pelvic_tilt_deg),
        depth=(pair_mean(hip[1]) - np.float32(base.hip_y)) / L,
        knee_trusted=knee_ok & np.isfinite(dev),
        toe_trusted=toe_ok,
        feet_seen=ankle_seen & np.isfinite(toe[0]),
        pelvis_trusted=hips_ok,
        trunk_lean_deg=lean,
        trunk_trusted=hips_ok & all_last(vis_ok(SHOULDER)) & np.isfinite(lean),
    )
