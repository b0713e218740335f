"""The clinical single-leg squat screen: each leg's peak FPPA against the published norms (issue 18).

The task behind the FPPA norms in the sources: stand on one leg and squat five times to
about 45-60 degrees of knee bend, then the other leg (Herrington 2014; Munro, Herrington &
Carolan 2012). Per leg: the peak FPPA of each rep and their mean, against the control and
patellofemoral-pain groups; the left-right difference against the smallest detectable
difference; pelvic drop, trunk lean and the cause hint. A screening aid, not a diagnosis.

Pure functions on :class:`knee_cv.analysis.Analysis` results: the video work is
:func:`knee_cv.api.analyze`, run with the exercise forced to the single-leg squat.
"""
from __future__ import annotations

import dataclasses
import enum
from collections import Counter

import numpy as np

from .cause import Driver
from .codes import FaultCode, NotJudged, Side
from .norms import SLS_FPPA_CONTROL, SLS_FPPA_PFP, SLS_FPPA_SDD


@dataclasses.dataclass(frozen=True)
class ScreenSettings:
    """The protocol: reps with less knee bend than ``min_flexion_deg`` are not judged (too shallow).

    ``min_rep_depth`` (fraction of leg length) is how shallow a dip still counts as a rep in a screen
    (analyze's default, 0.12, is about 56 degrees of bend by :func:`knee_bend_deg`: a 45-degree rep would be
    missed rather than reported as too shallow)."""

    min_flexion_deg: float = 45.0
    min_rep_depth: float = 0.05


def knee_bend_deg(depth: np.ndarray | float) -> np.ndarray:
    """Knee bend estimated from the hips' descent, degrees.

    With thigh and shank of equal length bending symmetrically, the hip-to-ankle
    distance is ``2 l cos(bend / 2)``, so a descent of ``depth`` leg lengths means
    ``bend = 2 acos(1 - depth)``: 45 deg at 7.6 %, 60 deg at 13.4 %. An estimate: the hips
    also sink by bending at the hip, so it reads high when the trunk leans far forward.
    """
    return np.degrees(2 * np.arccos(np.clip(1 - np.asarray(depth, float), -1.0, 1.0)))


@dataclasses.dataclass(frozen=True)
class LegRep:
    """One rep standing on one leg.

    Attributes
    ----------
    part : int
        Which stretch of :attr:`Screen.parts` it came from (0-based); ``frame`` counts from that stretch's start.
    fppa_deg : float
        The standing knee's peak FPPA over the judged frames, deg, + = valgus; NaN if not judged.
    flagged : bool
        knee-cv's own valgus verdict flagged this knee.
    pelvic_drop_deg, trunk_lean_deg : float
        Signed, + = toward the subject's left (NaN where not measured).
    frame : int
        The deepest judged frame of the standing knee: the rep's picture.
    """

    part: int
    index: int
    bend_deg: float
    fppa_deg: float
    reason: NotJudged | None
    flagged: bool
    pelvic_drop_deg: float
    trunk_lean_deg: float
    cause: object | None
    frame: int

    @property
    def judged(self) -> bool:
        return self.reason is None


@dataclasses.dataclass(frozen=True)
class LegScreen:
    """Every rep standing on one leg, and what they add up to."""

    side: Side
    reps: tuple[LegRep, ...]

    @property
    def judged(self) -> tuple[LegRep, ...]:
        return tuple(r for r in self.reps if r.judged)

    @property
    def fppa(self) -> np.ndarray:
        """Peak FPPA of the judged reps, deg, shape (n,)."""
        return np.array([r.fppa_deg for r in self.judged], float)

    @property
    def mean_fppa_deg(self) -> float:
        return float(self.fppa.mean()) if len(self.fppa) else float("nan")

    @property
    def sd_fppa_deg(self) -> float:
        return float(self.fppa.std(ddof=1)) if len(self.fppa) > 1 else float("nan")

    @property
    def flagged(self) -> bool:
        return any(r.flagged for r in self.judged)

    def mean_of(self, name: str) -> float:
        vals = np.array([getattr(r, name) for r in self.judged], float)
        vals = vals[np.isfinite(vals)]
        return float(vals.mean()) if vals.size else float("nan")

    @property
    def driver(self) -> Driver | None:
        """The most common cause hint over the flagged reps (ties: not clear); None if nothing was flagged."""
        drivers = Counter(r.cause.driver for r in self.judged if r.flagged and r.cause is not None)
        if not drivers:
            return None
        (top, n), *rest = drivers.most_common()
        return Driver.NOT_CLEAR if rest and rest[0][1] == n else top

    @property
    def band(self) -> Band:
        """Where the mean sits against the norms: ``below``, ``control``, ``above`` or ``pfp`` (:func:`band_of`)."""
        return band_of(self.mean_fppa_deg)


class Band(str, enum.Enum):
    """Where a leg's mean peak FPPA sits against the published groups (:func:`band_of`)."""

    BELOW = "below"
    CONTROL = "control"
    ABOVE = "above"
    PFP = "pfp"
    NONE = "none"


class Difference(str, enum.Enum):
    """The left-right difference against the smallest detectable difference (:attr:`Screen.difference_state`)."""

    ABOVE = "above"
    BORDERLINE = "borderline"
    WITHIN = "within"
    NONE = "none"


def band_of(fppa: float) -> Band:
    """Where a mean peak FPPA sits against Herrington 2014's groups (which overlap): ``below`` the controls'
    mean - 1 SD (toward varus), ``control`` within their mean ± 1 SD, ``above`` that but under the
    patellofemoral-pain group's mean, ``pfp`` at or above it; ``none`` without a value."""
    if not np.isfinite(fppa):
        return Band.NONE
    if fppa < SLS_FPPA_CONTROL.mean - SLS_FPPA_CONTROL.sd:
        return Band.BELOW
    if fppa <= SLS_FPPA_CONTROL.mean + SLS_FPPA_CONTROL.sd:
        return Band.CONTROL
    return Band.PFP if fppa >= SLS_FPPA_PFP.mean else Band.ABOVE


@dataclasses.dataclass(frozen=True)
class Screen:
    """Both legs of a single-leg squat screen. Reps are numbered per leg (1-5 on each), in time order.

    ``difference_deg`` is left minus right mean peak FPPA, deg; NaN unless both legs have judged reps.
    """

    legs: tuple[LegScreen, LegScreen]
    clips: tuple[str, ...]
    parts: tuple[Part, ...] = ()

    @property
    def difference_deg(self) -> float:
        return self.legs[0].mean_fppa_deg - self.legs[1].mean_fppa_deg

    @property
    def difference_state(self) -> Difference:
        """``above`` the smallest detectable difference (its upper bound), ``within`` it (below its lower bound),
        ``borderline`` between the two bounds, ``none`` without both legs."""
        d = abs(self.difference_deg)
        if not np.isfinite(d):
            return Difference.NONE
        return (Difference.ABOVE if d > SLS_FPPA_SDD.high else Difference.WITHIN if d < SLS_FPPA_SDD.low
                else Difference.BORDERLINE)


@dataclasses.dataclass(frozen=True)
class Part:
    """A stretch of one screened video with one standing leg, analysed on its own standing posture.

    ``start`` is its first frame in the video; ``analysis`` covers frames ``start`` onward.
    """

    clip: int
    start: int
    analysis: object


def leg_parts(analysis) -> list[tuple[int, int]]:
    """Frame ranges with one standing leg each: the video is cut halfway between the last rep on one leg and
    the first rep on the other (a set on each leg in one video, as the guided live screen films it)."""
    reps = [r.rep for r in analysis.reps if r.rep.lead_leg is not None]
    cuts = [(a.end + b.start) // 2 for a, b in zip(reps, reps[1:]) if a.lead_leg != b.lead_leg]
    bounds = [0, *cuts, len(analysis.raw)]
    return list(zip(bounds[:-1], bounds[1:]))


def split_parts(analyses) -> list[Part]:
    """Each video's stretches of one standing leg. A video with both legs is re-analysed stretch by stretch:
    standing on the other leg in between changes the standing posture each knee is measured against."""
    from .analysis import analyze_track
    from .reps import Exercise

    parts = []
    for k, a in enumerate(analyses):
        ranges = leg_parts(a)
        if len(ranges) == 1:
            parts.append(Part(k, 0, a))
            continue
        parts += [Part(k, s, analyze_track(a.raw.slice(s, e), a.settings, exercise=Exercise.SINGLE_LEG_SQUAT))
                  for s, e in ranges]
    return parts


def leg_reps(analysis, part: int, settings: ScreenSettings = ScreenSettings()) -> list[tuple[Side, LegRep]]:
    """The reps of one analysed single-leg squat stretch, each with the leg it stood on."""
    out = []
    for r in analysis.reps:
        if r.rep.lead_leg is None:
            continue
        side = Side(r.rep.lead_leg)
        i = side.index
        verdict = r.knee_verdicts[i]
        bend = float(knee_bend_deg(r.rep.depth))
        reason = NotJudged.TOO_SHALLOW if bend < settings.min_flexion_deg else verdict.reason
        flagged = reason is None and any(f.code is FaultCode.KNEE_VALGUS and f.side is side for f in r.faults)
        m = r.sides[i]
        out.append((side, LegRep(part=part, index=r.rep.index, bend_deg=bend,
                                 fppa_deg=m.fppa_deg if reason is None else float("nan"), reason=reason,
                                 flagged=flagged, pelvic_drop_deg=r.pelvic_drop_deg, trunk_lean_deg=r.trunk_lean_deg,
                                 cause=r.causes[i], frame=m.worst_frame)))
    return out


def build_screen(analyses, clips: tuple[str, ...], settings: ScreenSettings = ScreenSettings()) -> Screen:
    """Both legs from one or two analysed videos (one leg each, or both legs in one)."""
    parts = split_parts(analyses)
    by_side: dict[Side, list[LegRep]] = {Side.LEFT: [], Side.RIGHT: []}
    for k, p in enumerate(parts):
        for side, rep in leg_reps(p.analysis, k, settings):
            by_side[side].append(rep)
    legs = tuple(LegScreen(side, tuple(dataclasses.replace(r, index=n) for n, r in enumerate(by_side[side], 1)))
                 for side in (Side.LEFT, Side.RIGHT))
    return Screen(legs=legs, clips=tuple(clips), parts=tuple(parts))
