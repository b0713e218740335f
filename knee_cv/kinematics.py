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

from .track import ANKLE, HIP, KNEE, LM, TOE, PoseTrack

_ARMS = np.array([LM.LEFT_ELBOW, LM.RIGHT_ELBOW, LM.LEFT_WRIST, LM.RIGHT_WRIST])


@dataclasses.dataclass(frozen=True)
class TrustSettings:
    """When a knee or foot landmark is believed. See README, "Trusted frames"."""

    min_visibility: float = 0.5
    #: a knee closer than this (fraction of L) to an elbow or wrist is likely an arm
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
    frames : ndarray of int
        Frame indices the baseline was taken from.
    """

    leg_length: float
    thigh: np.ndarray
    shank: np.ndarray
    foot: np.ndarray
    hip_y: float
    pelvic_tilt_deg: float
    frames: np.ndarray


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
    depth : ndarray, shape (T,)
        Mid-hip descent below standing, fraction of ``L``.
    knee_trusted : ndarray, shape (T, 2), bool
        Frames whose knee, hip and ankle pass :class:`TrustSettings`.
    toe_trusted : ndarray, shape (T, 2), bool
    pelvis_trusted : ndarray, shape (T,), bool
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
    pelvis_trusted: np.ndarray


def _norm(v: np.ndarray) -> np.ndarray:
    return np.linalg.norm(v, axis=-1)


def medial_axis(xy: np.ndarray) -> np.ndarray:
    """Unit vector from each hip toward the other, shape (T, 2 sides, 2)."""
    hip = xy[:, HIP]
    m = hip[:, ::-1] - hip
    return m / _norm(m)[..., None]


def pelvic_tilt_deg(xy: np.ndarray) -> np.ndarray:
    """Pelvic obliquity per frame, degrees; positive = subject's left hip lower in the image."""
    d = xy[:, LM.LEFT_HIP] - xy[:, LM.RIGHT_HIP]
    return np.degrees(np.arctan2(d[:, 1], np.abs(d[:, 0])))


def fppa_deg(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, medial: np.ndarray) -> np.ndarray:
    """Frontal plane projection angle (Willson 2006; Munro 2012).

    Parameters
    ----------
    hip, knee, ankle, medial : ndarray, shape (..., 2)
        Pixel positions and the medial unit vector.

    Returns
    -------
    ndarray, shape (...)
        Angle between thigh (hip→knee) and shank (knee→ankle) in degrees, 0 for a
        straight leg, positive when the knee lies medial of the hip–ankle line.
    """
    th, sh = knee - hip, ankle - knee
    ang = np.degrees(np.arctan2(np.abs(th[..., 0] * sh[..., 1] - th[..., 1] * sh[..., 0]), (th * sh).sum(-1)))
    line = ankle - hip
    foot_of_perp = hip + line * (((knee - hip) * line).sum(-1) / (line * line).sum(-1))[..., None]
    return ang * np.sign(((knee - foot_of_perp) * medial).sum(-1))


def standing_baseline(track: PoseTrack) -> Baseline | None:
    """Estimate the standing posture: frames with the hips highest and legs straight.

    Returns None when fewer than 3 frames show the whole lower body.
    """
    xy = track.xy.astype(np.float64)
    hip, knee, ankle, toe = xy[:, HIP], xy[:, KNEE], xy[:, ANKLE], xy[:, TOE]
    thigh, shank, foot = _norm(knee - hip), _norm(ankle - knee), _norm(toe - ankle)
    hip_y = hip[..., 1].mean(1)
    ok = np.isfinite(hip_y) & np.isfinite(thigh).all(1) & np.isfinite(shank).all(1)
    if ok.sum() < 3:
        return None
    straight = ok & (np.abs(fppa_deg(hip, knee, ankle, medial_axis(xy))) < 20).all(1)
    pool = straight if straight.sum() >= 3 else ok
    top = pool & (hip_y <= np.percentile(hip_y[pool], 25))
    frames = np.flatnonzero(top)
    leg = _norm(hip - ankle)[frames].mean(1)
    return Baseline(
        leg_length=float(np.median(leg)),
        thigh=np.median(thigh[frames], 0), shank=np.median(shank[frames], 0),
        foot=np.nanmedian(foot[frames], 0),
        hip_y=float(np.median(hip_y[frames])),
        pelvic_tilt_deg=float(np.median(pelvic_tilt_deg(xy[frames]))),
        frames=frames,
    )


def _within(x: np.ndarray, ref: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    r = x / ref
    return (r >= bounds[0]) & (r <= bounds[1])


def frame_metrics(track: PoseTrack, base: Baseline, trust: TrustSettings = TrustSettings()) -> FrameMetrics:
    """Compute every per-frame measure and its trust mask (see :class:`FrameMetrics`)."""
    xy = track.xy.astype(np.float64)
    vis = track.visibility
    L = base.leg_length
    hip, knee, ankle, toe = xy[:, HIP], xy[:, KNEE], xy[:, ANKLE], xy[:, TOE]
    med = medial_axis(xy)

    dev = ((knee - toe) * med).sum(-1) / L
    with np.errstate(invalid="ignore"):
        arm_d = _norm(knee[:, :, None] - xy[:, None, _ARMS]).min(-1) / L
        knee_ok = ((vis[:, HIP] >= trust.min_visibility) & (vis[:, KNEE] >= trust.min_visibility)
                   & (vis[:, ANKLE] >= trust.min_visibility)
                   & (arm_d > trust.min_knee_arm_distance)
                   & _within(_norm(knee - hip), base.thigh, trust.thigh_ratio)
                   & _within(_norm(ankle - knee), base.shank, trust.shank_ratio))
        toe_ok = (vis[:, TOE] >= trust.min_visibility) & _within(_norm(toe - ankle), base.foot, trust.foot_ratio)
        sep = np.abs(((knee[:, 0] - knee[:, 1]) * med[:, 0]).sum(-1)) / np.abs(((ankle[:, 0] - ankle[:, 1]) * med[:, 0]).sum(-1))
    stand_dev = np.nanmedian(dev[base.frames], 0)
    return FrameMetrics(
        t=track.t,
        knee_toe_dev=dev,
        knee_toe_shift=dev - stand_dev,
        fppa_deg=fppa_deg(hip, knee, ankle, med),
        knee_sep_ratio=sep,
        pelvic_drop_deg=pelvic_tilt_deg(xy) - base.pelvic_tilt_deg,
        depth=(hip[..., 1].mean(1) - base.hip_y) / L,
        knee_trusted=knee_ok & np.isfinite(dev),
        toe_trusted=toe_ok,
        pelvis_trusted=(vis[:, HIP] >= trust.min_visibility).all(1),
    )
