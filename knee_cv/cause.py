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

from .codes import SIDES, FaultCode
from .kinematics import Baseline, joints, medial_axis
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
    heel rising by ``heel_rise_pct`` of the foot's length points to limited dorsiflexion."""

    noise_deg: float = 3.0
    lead_share: float = 0.65
    heel_rise_pct: float = 15.0


@dataclasses.dataclass(frozen=True)
class CauseHint:
    """The likely driver of one knee's valgus in one rep, with the numbers behind it.

    Attributes
    ----------
    thigh_deg, shank_deg : float
        Change from standing of the thigh's and the shank's inward tilt over the judged frames,
        degrees, + = the knee moved toward the midline.
    heel_rise_pct : float
        Change from standing of the heel's height over the toe, % of the standing foot length, + = heel up.
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
    """The driver from the two tilt changes and the heel rise (see :class:`CauseSettings`)."""
    total = max(thigh, 0.0) + max(shank, 0.0)
    heel = np.isfinite(heel_rise) and heel_rise >= cfg.heel_rise_pct
    if not np.isfinite(total) or total < cfg.noise_deg:
        return Driver.FOOT if heel else Driver.NOT_CLEAR
    share = max(thigh, 0.0) / total
    if share >= cfg.lead_share and not heel:
        return Driver.HIP
    if share <= 1 - cfg.lead_share or (heel and share < cfg.lead_share):
        return Driver.FOOT
    return Driver.MIXED


def cause_hints(track: PoseTrack, base: Baseline, results, cfg: CauseSettings = CauseSettings()) -> list:
    """A :class:`CauseHint` per knee flagged for valgus in each rep (None elsewhere), shape ``[rep][side]``."""
    hip, knee, ankle, heel, toe = joints(track, HIP, KNEE, ANKLE, HEEL, TOE)
    thigh, shank = segment_tilts(hip, knee, ankle, medial_axis(hip))
    lift = (toe[1] - heel[1]) / np.where(base.foot > 0, base.foot, np.nan) * 100  # heel above the toe, % foot
    with np.errstate(all="ignore"):
        stand = [np.nanmedian(x[base.frames], 0) for x in (thigh, shank, lift)]
    out = []
    for r in results:
        flagged = {f.side for f in r.faults if f.code is FaultCode.KNEE_VALGUS}
        row = []
        for s in SIDES:
            frames = r.sides[s.index].judged_frames
            if s not in flagged or not len(frames):
                row.append(None)
                continue
            with np.errstate(all="ignore"):
                t, k, h = (float(np.nanmedian(x[frames, s.index]) - st[s.index]) for x, st in
                           zip((thigh, shank, lift), stand))
            row.append(CauseHint(classify(t, k, h, cfg), round(t, 2), round(k, 2), round(h, 1)))
        out.append(tuple(row))
    return out
