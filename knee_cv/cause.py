"""Why a knee caves in, as a hint from the frontal view: how much the thigh and how much the shank tilted in.

The source documents name two families of drivers with different training: the hip
(weak abductors and external rotators: the thigh adducts) and the foot and ankle
(pronation or limited dorsiflexion: the shank tips in over the foot, the heel may
lift). In a frontal view the knee's inward shift is the sum of the thigh's and the
shank's inward tilt, so each segment's change from standing gives its share. This
is a hint, never a diagnosis, and it is not validated on real people.
"""
from __future__ import annotations

import dataclasses
import enum

import numpy as np

from .codes import FaultCode
from .kinematics import Baseline, medial_axis
from .track import ANKLE, HEEL, HIP, KNEE, TOE, PoseTrack


class Driver(str, enum.Enum):
    HIP = "hip"              # mostly the thigh tilting in
    FOOT = "foot"            # mostly the shank tipping in over the foot (or the heel lifting)
    MIXED = "mixed"          # both
    NOT_CLEAR = "not_clear"  # neither stands out of measurement noise


@dataclasses.dataclass(frozen=True)
class CauseSettings:
    """When a share is named: changes below ``noise_deg`` are noise (about the knee measure's rep-to-rep SD of
    2.4 deg, scripts/noise_real.py); one segment leads when it carries ``lead_share`` of the inward tilt; a
    heel rising by ``heel_rise_pct`` % of leg length (about 3.5 cm) points to limited dorsiflexion. Leg length,
    not the foot's: seen from the front the foot is foreshortened to a few pixels, so a share of it is mostly
    noise (a still heel read 15 % of its projected foot on the mannequin)."""

    noise_deg: float = 3.0
    lead_share: float = 0.65
    heel_rise_pct: float = 4.0


@dataclasses.dataclass(frozen=True)
class CauseHint:
    """The likely driver of one knee's valgus in one rep, with the numbers behind it.

    Attributes
    ----------
    thigh_deg, shank_deg : float
        Change from standing of the thigh's and the shank's inward tilt over the judged frames,
        degrees, + = the knee moved toward the midline.
    heel_rise_pct : float
        Change from standing of the heel's height over the toe, % of leg length, + = heel up.
    """

    driver: Driver
    thigh_deg: float
    shank_deg: float
    heel_rise_pct: float


def segment_tilts(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, medial: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Inward tilt of the thigh and of the shank against the image vertical, degrees, + = knee toward the midline.

    Parameters
    ----------
    hip, knee, ankle, medial : ndarray, shape (2 coords, ...)
        Pixel positions, and the medial unit vector.
    """
    th, sh = knee - hip, knee - ankle
    thigh = np.degrees(np.arctan2(th[0] * medial[0] + th[1] * medial[1], th[1]))     # hip above the knee
    shank = np.degrees(np.arctan2(sh[0] * medial[0] + sh[1] * medial[1], -sh[1]))    # ankle below the knee
    return thigh, shank


def classify(thigh: float, shank: float, heel_rise: float, cfg: CauseSettings = CauseSettings()) -> Driver:
    """The driver from the two tilt changes and the heel rise (see :class:`CauseSettings` and
    :func:`classify_many`, which holds the rule)."""
    return classify_many(np.array([thigh], float), np.array([shank], float), np.array([heel_rise], float), cfg)[0]


def hint_maker(track: PoseTrack, base: Baseline, cfg: CauseSettings = CauseSettings()):
    """The ``hints`` callable of :func:`knee_cv.faults.evaluate_reps` for this track."""
    return lambda faults, judged_frames: cause_hints(track, base, faults, judged_frames, cfg)


def cause_hints(track: PoseTrack, base: Baseline, faults, judged_frames, cfg: CauseSettings = CauseSettings()
                ) -> list:
    """A :class:`CauseHint` per knee flagged for valgus in each rep (None elsewhere), shape ``[rep][side]``.

    Each knee is read at its deepest judged frame, the moment the report's picture shows, against the
    median of the standing frames. Vectorized over the flagged knees.

    Parameters
    ----------
    faults : list of list of Fault
        Each rep's faults.
    judged_frames : list of ndarray
        The judged frames of each knee, rep-major (``2 * rep + side``), in time order.
    """

    pairs = [(k, f.side.index) for k, fs in enumerate(faults) for f in fs
             if f.code is FaultCode.KNEE_VALGUS and len(judged_frames[2 * k + f.side.index])]
    out = [[None, None] for _ in faults]
    if not pairs:
        return [tuple(row) for row in out]
    side = np.array([s for _, s in pairs])
    frames = _deepest(track, [judged_frames[2 * k + s] for k, s in pairs])
    stand = _standing(track, base)
    t, sh, h = (np.round(x - st[side], d).tolist() for x, st, d in zip(_measures(track, base, frames, side), stand,
                                                                        (2, 2, 1)))
    for g, ((k, s), driver) in enumerate(zip(pairs, classify_many(np.array(t), np.array(sh), np.array(h), cfg))):
        out[k][s] = CauseHint(driver, t[g], sh[g], h[g])
    return [tuple(row) for row in out]


def _standing(track: PoseTrack, base: Baseline) -> list[np.ndarray]:
    """Per side, the median thigh tilt, shank tilt and heel lift (% leg) of the standing frames, each shape (2,)."""
    f = base.frames
    hip, knee, ankle, heel, toe = (track.joint_xy(g)[:, f] for g in (HIP, KNEE, ANKLE, HEEL, TOE))
    thigh, shank = segment_tilts(hip, knee, ankle, medial_axis(hip))
    with np.errstate(invalid="ignore", divide="ignore"):
        lift = (toe[1] - heel[1]) / base.leg_length * 100
        return [np.nanmedian(x, 0) if np.isfinite(x).any() else np.full(2, np.nan) for x in (thigh, shank, lift)]


def _deepest(track: PoseTrack, groups: list[np.ndarray]) -> np.ndarray:
    """For each group of frames, the frame where the hips are lowest in the image (vectorized over groups)."""
    from .groups import sort_groups

    frames = np.concatenate(groups)
    group = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    hip_y = track.joint_xy(HIP)[1].mean(1)[frames]
    best = sort_groups(hip_y, group, np.ones(len(frames), bool), len(groups)).argmax()
    middle = np.cumsum([len(g) for g in groups]) - np.array([len(g) for g in groups]) // 2 - 1
    return frames[np.where(best >= 0, best, middle)]


_DRIVERS = (Driver.HIP, Driver.FOOT, Driver.MIXED, Driver.NOT_CLEAR)


def classify_many(thigh: np.ndarray, shank: np.ndarray, heel_rise: np.ndarray,
                  cfg: CauseSettings = CauseSettings()) -> list[Driver]:
    """The rule, over arrays: a segment leads with ``lead_share`` of the inward tilt; a heel rise of
    ``heel_rise_pct`` points to the foot; under ``noise_deg`` in all, nothing is named."""
    with np.errstate(invalid="ignore", divide="ignore"):
        t, s = np.maximum(thigh, 0.0), np.maximum(shank, 0.0)
        total = t + s
        heel = np.isfinite(heel_rise) & (heel_rise >= cfg.heel_rise_pct)
        share = t / total
        quiet = ~np.isfinite(total) | (total < cfg.noise_deg)
        code = np.where(quiet, np.where(heel, 1, 3),
                        np.where((share >= cfg.lead_share) & ~heel, 0,
                                 np.where((share <= 1 - cfg.lead_share) | (heel & (share < cfg.lead_share)), 1, 2)))
    return [_DRIVERS[c] for c in code.tolist()]


def _measures(track: PoseTrack, base: Baseline, frames: np.ndarray, side: np.ndarray):
    """Thigh tilt, shank tilt (deg) and heel lift (% leg length) at ``frames`` of ``side``, each shape (N,)."""
    at = lambda group: track.joint_xy(group)[:, frames, side]  # noqa: E731 - cached (2, T, 2) joints
    thigh, shank = segment_tilts(at(HIP), at(KNEE), at(ANKLE),
                                 medial_axis(track.joint_xy(HIP)[:, frames])[:, np.arange(len(frames)), side])
    with np.errstate(invalid="ignore", divide="ignore"):
        lift = (at(TOE)[1] - at(HEEL)[1]) / base.leg_length * 100       # heel above the toe
    return thigh, shank, lift
