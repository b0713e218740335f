"""Published norms and measurement-noise limits, as data with their sources (``clinical-metrics.md``).

Used where knee-cv says whether a value is in a normal range, or whether a change
between two sessions is larger than measurement noise.
"""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Limit:
    """The smallest detectable difference of a measure: changes smaller than ``value`` may be noise."""

    value: float
    unit: str
    source: str


@dataclasses.dataclass(frozen=True)
class Norm:
    """A published normal range of a measure in one task."""

    low: float
    high: float
    label: str


#: Per part (left/right knee: the judged knee measure, deg; hip: signed pelvic drop, deg).
SDD = {
    # FPPA between-day SDD 7.5-8.9 deg (Munro, Herrington & Carolan 2012): the upper bound, since a new
    # session also means a new camera set-up
    "left": Limit(8.9, "deg", "Munro 2012: FPPA smallest detectable difference 7.5-8.9 deg"),
    "right": Limit(8.9, "deg", "Munro 2012: FPPA smallest detectable difference 7.5-8.9 deg"),
    # no published SDD for 2D pelvic drop: 1.96 x sqrt(2) x knee-cv's own rep-to-rep SD on the labelled-good
    # real clips (0.71 deg, scripts/noise_real.py), so within one set-up only
    "hip": Limit(2.0, "deg", "knee-cv's own rep-to-rep noise on real clips (no published value)"),
}

#: Normal FPPA ranges by exercise (the judged knee measure is FPPA for single-leg work): mean +- 1 SD of
#: the female controls in Herrington 2014's single-leg squat, 8.4 +- 5.1 deg.
NORMS = {
    (side, ex): Norm(3.3, 13.5, "normal single-leg squat FPPA, 8.4 ± 5.1 deg (Herrington 2014)")
    for side in ("left", "right") for ex in ("single_leg_squat", "lunge")
}


@dataclasses.dataclass(frozen=True)
class Group:
    """A published group's mean and SD of a measure, with its source."""

    mean: float
    sd: float
    label: str


#: Single-leg squat peak FPPA, deg (Herrington, Knee 2014): female controls and patellofemoral pain.
SLS_FPPA_CONTROL = Group(8.4, 5.1, "controls 8.4 ± 5.1 deg (Herrington 2014)")
SLS_FPPA_PFP = Group(16.8, 5.4, "patellofemoral pain 16.8 ± 5.4 deg (Herrington 2014)")
#: FPPA smallest detectable difference (Munro, Herrington & Carolan 2012).
SLS_FPPA_SDD = Norm(7.5, 8.9, "smallest detectable difference 7.5-8.9 deg (Munro 2012)")
