"""Why a knee caves in, as a hint from the frontal view: how far the knee moved in relative to the hip and to the ankle.

The source documents name two families of drivers with different training: the hip
(weak abductors and external rotators: the thigh adducts) and the foot and ankle
(pronation or limited dorsiflexion: the shank tips in over the foot, the heel may
lift). Each flagged knee is compared with the same knee at the bottom of its reps
without valgus (or standing): its inward shift relative to the hip is the thigh's
part, relative to the ankle the shank's; a rising heel points to the foot. This is a
hint, never a diagnosis, and it is not validated on real people.
"""
from __future__ import annotations

import dataclasses
import enum

import numpy as np

from .codes import FaultCode
from .kinematics import Baseline, dot, norm, seen_median
from .track import ANKLE, HEEL, HIP, KNEE, TOE, PoseTrack


class Driver(str, enum.Enum):
    HIP = "hip"              # mostly the thigh tilting in
    FOOT = "foot"            # mostly the shank tipping in over the foot (or the heel lifting)
    MIXED = "mixed"          # both
    NOT_CLEAR = "not_clear"  # neither stands out of measurement noise


@dataclasses.dataclass(frozen=True)
class CauseSettings:
    """When a share is named: a knee shift below ``noise_pct`` of leg length is noise (about twice the
    knee-over-toe measure's rep-to-rep SD on labelled-good real reps); one segment leads when it carries
    ``lead_share`` of the knee's inward shift; a heel rising by ``heel_rise_pct`` % of leg length (about 3.5 cm)
    points to limited dorsiflexion. Leg length, not the foot's: seen from the front the foot is foreshortened to
    a few pixels, so a share of it is mostly noise (a still heel read 15 % of its projected foot on the
    mannequin)."""

    noise_pct: float = 2.0
    lead_share: float = 0.65
    heel_rise_pct: float = 4.0


class Reference(str, enum.Enum):
    """What a knee's bottom position is compared with."""

    CLEAN_REPS = "clean_reps"  # the same knee at the bottom of this clip's judged reps without valgus
    STANDING = "standing"      # standing still: includes the ordinary outward travel of a squatting knee


@dataclasses.dataclass(frozen=True)
class CauseHint:
    """The likely driver of one knee's valgus in one rep, with the numbers behind it.

    Attributes
    ----------
    thigh_deg, shank_deg : float
        Change of the thigh's and the shank's inward tilt, degrees, + = the knee moved toward the midline.
    thigh_pct, shank_pct : float
        The knee's inward shift relative to the hip (thigh) and to the ankle (shank), change in % of leg
        length. The driver is decided on these: unlike angles they do not depend on how short the thigh
        looks when it points at the camera.
    heel_rise_pct : float
        Change of the heel's height over the toe, % of leg length, + = heel up.
    reference : Reference
        What the changes are measured from.
    foot_turn_deg : float
        Change of the foot's turn-out, degrees, + = the toes turned further out (a flattening arch turns the
        foot out); from the sideways reach of the heel-to-toe line (``knee_cv.view.FOOT_LEG``), NaN where the
        foot is not seen. Reported, not used to decide the driver: MediaPipe's foot points are its least
        reliable.
    """

    driver: Driver
    thigh_deg: float
    shank_deg: float
    heel_rise_pct: float
    thigh_pct: float = float("nan")
    shank_pct: float = float("nan")
    reference: Reference = Reference.STANDING
    foot_turn_deg: float = float("nan")

    @property
    def thigh_share(self) -> float:
        """The thigh's share of the inward shift (0-1), NaN when there is none."""
        t, s = max(self.thigh_pct, 0.0), max(self.shank_pct, 0.0)
        return t / (t + s) if t + s > 0 else float("nan")


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
    """The driver from the thigh's and the shank's part of the knee's inward shift (% leg) and the heel rise
    (see :class:`CauseSettings` and :func:`classify_many`, which holds the rule)."""
    return classify_many(np.array([thigh], float), np.array([shank], float), np.array([heel_rise], float), cfg)[0]


def hint_maker(track: PoseTrack, base: Baseline, cfg: CauseSettings = CauseSettings()):
    """The ``hints`` callable of :func:`knee_cv.faults.evaluate_reps` for this track."""
    return lambda faults, worst, judged: cause_hints(track, base, faults, worst, judged, cfg)


def cause_hints(track: PoseTrack, base: Baseline, faults, worst: np.ndarray, judged: np.ndarray,
                cfg: CauseSettings = CauseSettings()) -> list:
    """A :class:`CauseHint` per knee flagged for valgus in each rep (None elsewhere), shape ``[rep][side]``.

    Each knee is read at its deepest judged frame, the moment the report's picture shows, against the
    same knee at the bottom of the clip's judged reps without valgus (median), or against standing when
    every rep of that knee was flagged. Vectorized over the knees.

    Parameters
    ----------
    faults : list of list of Fault
        Each rep's faults.
    worst : ndarray, shape (n_reps, 2), int
        Each knee's deepest judged frame (:attr:`knee_cv.faults.SideMeasures.worst_frame`).
    judged : ndarray, shape (n_reps, 2), bool
        Which knees were judged.
    """
    judged = np.asarray(judged, bool)
    flagged = np.zeros((len(faults), 2), bool)
    for k, fs in enumerate(faults):
        for f in fs:
            flagged[k, f.side.index] |= f.code is FaultCode.KNEE_VALGUS
    out = [[None, None] for _ in faults]
    pick, clean = flagged & judged, judged & ~flagged  # only a judged knee is flagged
    if not pick.any():
        return [tuple(row) for row in out]
    ks, ss = np.nonzero(pick | clean)
    values = np.stack(_measures(track, base, np.asarray(worst)[ks, ss], ss), -1)      # (N, 6)
    ref, kind = _reference(track, base, values, ss, clean[ks, ss])
    g = np.flatnonzero(pick[ks, ss])
    d = np.round(values[g] - ref[ss[g]], 2)                                     # (n_flagged, 6)
    d[:, 4:] = np.round(d[:, 4:], 1)
    drivers = classify_many(d[:, 2], d[:, 3], d[:, 4], cfg)
    for (k, s), row, driver in zip(zip(ks[g].tolist(), ss[g].tolist()), d.tolist(), drivers):
        out[k][s] = CauseHint(driver, row[0], row[1], row[4], row[2], row[3], kind[s], row[5])
    return [tuple(row) for row in out]


def _reference(track: PoseTrack, base: Baseline, values: np.ndarray, side: np.ndarray, clean: np.ndarray):
    """Per side, the reference values (2, 6) and their kind: the median over the clean knees, else standing."""
    ref, kind = np.full((2, values.shape[1]), np.nan), [Reference.CLEAN_REPS, Reference.CLEAN_REPS]
    stand = None  # read only when needed: on a long clip standing is tens of thousands of frames
    for s in (0, 1):
        rows = values[clean & (side == s)]
        if len(rows):
            ref[s] = seen_median(rows)
        else:
            stand = np.stack(_standing(track, base), -1) if stand is None else stand   # (2, 6)
            ref[s], kind[s] = stand[s], Reference.STANDING
    return ref, kind


def _standing(track: PoseTrack, base: Baseline) -> list[np.ndarray]:
    """Per side, the median of each of :func:`_measures`' values over the standing frames, each shape (2,)."""
    f = base.frames
    T = len(f)
    vals = _measures(track, base, np.repeat(f, 2), np.tile([0, 1], T))
    return [seen_median(v.reshape(T, 2)) for v in vals]  # NaN for a side whose foot was never in the picture


_DRIVERS = (Driver.HIP, Driver.FOOT, Driver.MIXED, Driver.NOT_CLEAR)


def classify_many(thigh: np.ndarray, shank: np.ndarray, heel_rise: np.ndarray,
                  cfg: CauseSettings = CauseSettings()) -> list[Driver]:
    """The rule, over arrays of the thigh's and the shank's part of the knee's inward shift (% leg): a segment
    leads with ``lead_share`` of the shift; a heel rise of ``heel_rise_pct`` points to the foot; under
    ``noise_pct`` in all, nothing is named."""
    with np.errstate(invalid="ignore", divide="ignore"):
        t, s = np.maximum(thigh, 0.0), np.maximum(shank, 0.0)
        total = t + s
        heel = np.isfinite(heel_rise) & (heel_rise >= cfg.heel_rise_pct)
        share = t / total
        quiet = ~np.isfinite(total) | (total < cfg.noise_pct)
        code = np.where(quiet, np.where(heel, 1, 3),
                        np.where((share >= cfg.lead_share) & ~heel, 0,
                                 np.where((share <= 1 - cfg.lead_share) | (heel & (share < cfg.lead_share)), 1, 2)))
    return [_DRIVERS[c] for c in code.tolist()]


def _measures(track: PoseTrack, base: Baseline, frames: np.ndarray, side: np.ndarray):
    """At ``frames`` of ``side`` (each shape (N,)): thigh and shank tilt (deg), the knee's medial offset from the
    hip and from the ankle (% leg), the heel's height over the toe (% leg) and the foot's turn-out (deg)."""
    from .view import FOOT_LEG

    at = np.asarray(frames) * 2 + side  # into the cached (2, T, 2) joints seen as (2, 2T): one gather each
    take = lambda group, i=at: np.take(track.joint_xy(group).reshape(2, -1), i, axis=1)  # noqa: E731
    hip, knee, ankle, heel, toe = take(HIP), take(KNEE), take(ANKLE), take(HEEL), take(TOE)
    medial = take(HIP, at ^ 1) - hip                                        # toward the other hip
    with np.errstate(invalid="ignore", divide="ignore"):
        medial /= norm(medial)
        thigh, shank = segment_tilts(hip, knee, ankle, medial)
        scale = 100 / base.leg_length
        from_hip = dot(knee - hip, medial) * scale
        from_ankle = dot(knee - ankle, medial) * scale
        lift = (toe[1] - heel[1]) * scale                                   # heel above the toe
        outward = -dot(toe - heel, medial) / (FOOT_LEG * base.leg_length)
        turn_out = np.degrees(np.arcsin(np.clip(outward, -1.0, 1.0)))
    return thigh, shank, from_hip, from_ankle, lift, turn_out
