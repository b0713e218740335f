"""Per-rep measures and fault flags. Pure functions on arrays."""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from .groups import Segments, sort_groups
from .kinematics import FrameMetrics
from .reps import Exercise, Rep
from .settings import FaultSettings
from .track import SIDES


class Fault(NamedTuple):
    """One flagged fault in one rep (a NamedTuple: thousands are made per hour of video)."""

    code: str             # knee_valgus | knee_varus | hip_drop | asymmetry
    side: str             # subject's own side
    severity: str         # mild | moderate | severe
    value: float
    threshold: float
    unit: str
    rep: int

    def as_dict(self) -> dict:
        return {"code": self.code, "side": self.side, "severity": self.severity, "value": round(self.value, 2),
                "threshold": self.threshold, "unit": self.unit}


class SideMeasures(NamedTuple):
    """One knee over one rep. NaN where the knee had too few trusted frames.

    ``knee_valgus_deg`` is the value judged against the valgus/varus thresholds:
    depth-adjusted FPPA for bilateral squats, raw FPPA otherwise.
    """

    knee_valgus_deg: float
    fppa_deg: float
    knee_toe_medial_pct: float
    trusted_frames: int
    judged_frames: np.ndarray  # frame indices
    worst_frame: int

    def as_dict(self) -> dict:
        r = lambda v: None if not np.isfinite(v) else round(float(v), 2)  # noqa: E731
        return {"knee_valgus_deg": r(self.knee_valgus_deg), "fppa_deg": r(self.fppa_deg),
                "knee_toe_medial_pct": r(self.knee_toe_medial_pct), "trusted_frames": self.trusted_frames,
                "judged_frames": len(self.judged_frames)}


@dataclasses.dataclass(frozen=True)
class RepResult:
    rep: Rep
    sides: tuple[SideMeasures, SideMeasures]
    pelvic_drop_deg: float
    pelvic_drop_side: str | None
    trunk_lean_deg: float  # reported, not flagged: no validated threshold
    trunk_lean_side: str | None
    knee_sep_ratio: float
    faults: tuple[Fault, ...]

    @property
    def worst_frame(self) -> int:
        vals = [s.knee_valgus_deg if np.isfinite(s.knee_valgus_deg) else -np.inf for s in self.sides]
        best = int(np.argmax(vals))
        return self.sides[best].worst_frame if np.isfinite(vals[best]) else self.rep.bottom

    def verdict(self, part: str) -> str:
        """``ok`` or the worst severity for ``left``, ``right`` (knees) or ``hip``; ``n/a`` if not judged."""
        if part in SIDES and not np.isfinite(self.sides[SIDES.index(part)].knee_valgus_deg):
            return "n/a"
        if part == "hip" and not np.isfinite(self.pelvic_drop_deg):
            return "n/a"
        codes = ("hip_drop",) if part == "hip" else ("knee_valgus", "knee_varus")
        sev = [f.severity for f in self.faults if f.code in codes and (part == "hip" or f.side == part)]
        for s in ("severe", "moderate", "mild"):
            if s in sev:
                return s
        return "ok"


def side_of(value: float) -> str | None:
    """The side a signed measure points to (positive = the subject's left); None for 0 or NaN."""
    return "left" if value > 0 else "right" if value < 0 else None


def judged_valgus(fppa_deg: np.ndarray, depth: np.ndarray, exercise: Exercise, fs: FaultSettings) -> np.ndarray:
    """The knee measure judged against thresholds, from FPPA (..., 2) and depth (...), degrees.

    See :func:`adjusted_valgus`; live mode calls this one frame at a time.
    """
    if exercise.one_legged:
        return fppa_deg
    return fppa_deg + fs.squat_depth_slope_deg * np.asarray(depth)[..., None]


def adjusted_valgus(metrics: FrameMetrics, exercise: Exercise, fs: FaultSettings) -> np.ndarray:
    """The per-frame knee measure judged against thresholds, shape (T, 2), degrees.

    For bilateral squats the raw FPPA swings strongly negative with depth because
    the thigh foreshortens toward the camera; adding ``squat_depth_slope_deg × depth``
    removes the trend a knee tracking over the foot shows. Positive = the knee is
    medial of that expected track.
    """
    return judged_valgus(metrics.fppa_deg, metrics.depth, exercise, fs)


def _reduce(ufunc, x: np.ndarray, keep: np.ndarray, first: np.ndarray, empty: float) -> np.ndarray:
    """``ufunc.reduceat`` over contiguous segments, ignoring elements not in ``keep``; NaN if none kept."""
    out = ufunc.reduceat(np.where(keep, x, empty), first, axis=0)
    return np.where(out == empty, np.nan, out)


def evaluate_reps(metrics: FrameMetrics, measure: np.ndarray, reps: list[Rep], exercise: Exercise,
                  fs: FaultSettings, judge_knees: bool = True, judge_pelvis: bool = True) -> list[RepResult]:
    """Measures and faults for every rep, vectorized over reps and sides.

    Each knee is judged on its trusted frames at or past ``fs.judge_from_depth_fraction``
    of the rep's depth (the median for squats, the 80th percentile for single-leg
    work). Pelvic drop and trunk lean are medians of their trusted changes over
    those same deep frames: landmarks jitter by a few pixels, so a per-frame
    maximum would report noise as drop.

    Parameters
    ----------
    measure : ndarray, shape (T, 2)
        Output of :func:`adjusted_valgus`, degrees.
    reps : list of Rep
    judge_knees, judge_pelvis : bool
        False in views where frontal-plane angles mean nothing (side or oblique view);
        without the pelvis, pelvic drop and trunk lean are NaN.
    """
    if not reps:
        return []
    seg = Segments.from_bounds([r.start for r in reps], [r.end for r in reps])
    f, n, first = seg.frame, seg.n, seg.first
    rep_depth = np.array([r.depth for r in reps])
    trusted = metrics.knee_trusted[f]                                                     # (N, 2)
    deep = metrics.depth[f] >= fs.judge_from_depth_fraction * rep_depth[seg.group]
    judged = trusted & deep[:, None]
    by_side = sort_groups(measure[f].ravel(), (seg.group[:, None] * 2 + np.arange(2)).ravel(), judged.ravel(), 2 * n)
    single = exercise.one_legged
    enough = by_side.count.reshape(n, 2) >= fs.min_trusted_frames
    value = np.where(enough, by_side.quantile(0.8 if single else 0.5).reshape(n, 2), np.nan)
    fppa = np.where(enough, _reduce(np.maximum, metrics.fppa_deg[f], judged, first, -np.inf), np.nan)
    toe = _reduce(np.maximum, metrics.knee_toe_dev[f], judged & metrics.toe_trusted[f], first, -np.inf)
    toe = np.where(enough, 100 * toe, np.nan)
    n_trusted = np.add.reduceat(trusted, first, axis=0)
    worst = np.where(enough.ravel(), f[by_side.argmax() // 2], np.repeat([r.bottom for r in reps], 2)).reshape(n, 2)
    judged_frames = by_side.members(of=np.repeat(f, 2))
    side_args = np.stack([value, fppa, toe], -1).tolist()  # (n, 2, 3) as Python floats
    n_trusted = n_trusted.tolist()

    def deep_median(x: np.ndarray, ok: np.ndarray) -> np.ndarray:  # (T,) -> (n,), NaN without enough frames
        if not judge_pelvis:  # a side or oblique view's hip and trunk lines say little about the frontal plane
            return np.full(n, np.nan)
        g = sort_groups(x[f], seg.group, ok[f] & deep, n)
        return np.where(g.count >= fs.min_trusted_frames, g.quantile(0.5), np.nan)

    drop = deep_median(metrics.pelvic_drop_deg, metrics.pelvis_trusted)
    lean = deep_median(metrics.trunk_lean_deg, metrics.trunk_trusted)
    both = trusted.all(1) & judged.any(1)
    sep = _reduce(np.minimum, metrics.knee_sep_ratio[f], both, first, np.inf)

    judged_knee = np.full((n, 2), judge_knees)
    if single:  # the rear or free leg's frontal angle is not a fault
        judged_knee &= np.array([[rep.lead_leg in (None, side) for side in SIDES] for rep in reps])
    worse = np.where(value[:, 0] > value[:, 1], 0, 1)  # asymmetry names the side with more valgus
    codes = [  # (code, side index (n,), value (n,), threshold, judged (n,))
        *[("knee_valgus", np.full(n, s), value[:, s], fs.valgus(exercise), judged_knee[:, s]) for s in (0, 1)],
        *[("knee_varus", np.full(n, s), value[:, s], fs.varus_squat, judged_knee[:, s] & (not single))
          for s in (0, 1)],  # a lunging knee moving outward over the foot is normal
        ("asymmetry", worse, np.abs(value[:, 0] - value[:, 1]), fs.asymmetry, np.full(n, judge_knees and not single)),
        ("hip_drop", (drop < 0).astype(int), np.abs(drop), fs.hip_drop, np.full(n, judge_pelvis)),
    ]
    per_rep: list[list[Fault]] = [[] for _ in reps]
    for code, side, val, th, ok in codes:
        grade = np.where(ok, th.grade(val), 0)
        for k in np.flatnonzero(grade):  # only flagged reps reach Python
            per_rep[k].append(Fault(code, SIDES[side[k]], _SEVERITY[grade[k]], float(val[k]), th.onset, th.unit,
                                    reps[k].index))
    drop_side, lean_side = [side_of(d) for d in drop.tolist()], [side_of(d) for d in lean.tolist()]
    worst, sep, drop, lean = worst.tolist(), sep.tolist(), np.abs(drop).tolist(), np.abs(lean).tolist()
    return [RepResult(rep, tuple(SideMeasures(*side_args[k][s], n_trusted[k][s], judged_frames[2 * k + s], worst[k][s])
                                 for s in (0, 1)),
                      drop[k], drop_side[k], lean[k], lean_side[k], sep[k], tuple(per_rep[k]))
            for k, rep in enumerate(reps)]


_SEVERITY = (None, "mild", "moderate", "severe")


SEVERITY_ORDER = {"mild": 1, "moderate": 2, "severe": 3}


def main_fault(faults) -> Fault | None:
    """The fault a cue should be about: the most severe knee or hip fault; asymmetry only if it is alone
    (it names no movement to correct)."""
    concrete = [f for f in faults if f.code != "asymmetry"] or list(faults)
    return max(concrete, key=lambda f: SEVERITY_ORDER[f.severity], default=None)


def summarize(results: list[RepResult]) -> list[dict]:
    """Per-video fault summary: one entry per (code, side), worst first."""
    groups: dict[tuple[str, str], list[Fault]] = {}
    for r in results:
        for f in r.faults:
            groups.setdefault((f.code, f.side), []).append(f)
    out = []
    for (code, side), fs in groups.items():
        worst = max(fs, key=lambda f: (SEVERITY_ORDER[f.severity], abs(f.value)))
        out.append({"code": code, "side": side, "reps": [f.rep for f in fs], "count": len(fs),
                    "of_reps": len(results), "severity": worst.severity, "worst_value": round(worst.value, 2),
                    "threshold": worst.threshold, "unit": worst.unit})
    return sorted(out, key=lambda d: (-d["count"] / max(d["of_reps"], 1), -SEVERITY_ORDER[d["severity"]]))
