"""Per-rep measures and fault flags. Pure functions on arrays."""
from __future__ import annotations

import dataclasses

import numpy as np

from .kinematics import FrameMetrics
from .reps import Exercise, Rep
from .settings import FaultSettings, Threshold
from .track import SIDES


@dataclasses.dataclass(frozen=True)
class Fault:
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


@dataclasses.dataclass(frozen=True)
class SideMeasures:
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
        codes = ("hip_drop",) if part == "hip" else ("knee_valgus", "knee_varus")
        sev = [f.severity for f in self.faults if f.code in codes and (part == "hip" or f.side == part)]
        for s in ("severe", "moderate", "mild"):
            if s in sev:
                return s
        return "ok"


def adjusted_valgus(metrics: FrameMetrics, exercise: Exercise, fs: FaultSettings) -> np.ndarray:
    """The per-frame knee measure judged against thresholds, shape (T, 2), degrees.

    For bilateral squats the raw FPPA swings strongly negative with depth because
    the thigh foreshortens toward the camera; adding ``squat_depth_slope_deg × depth``
    removes the trend a knee tracking over the foot shows. Positive = the knee is
    medial of that expected track.
    """
    if exercise in (Exercise.SQUAT, Exercise.UNKNOWN):
        return metrics.fppa_deg + fs.squat_depth_slope_deg * metrics.depth[:, None]
    return metrics.fppa_deg


def _side(metrics: FrameMetrics, measure: np.ndarray, rep: Rep, s: int, exercise: Exercise,
          fs: FaultSettings) -> SideMeasures:
    idx = np.arange(rep.start, rep.end + 1)
    trusted = metrics.knee_trusted[idx, s]
    deep = metrics.depth[idx] >= fs.judge_from_depth_fraction * rep.depth
    judged = idx[trusted & deep]
    nan = float("nan")
    if judged.size < fs.min_trusted_frames:
        return SideMeasures(nan, nan, nan, int(trusted.sum()), judged, rep.bottom)
    m = measure[judged, s]
    value = float(np.median(m)) if exercise in (Exercise.SQUAT, Exercise.UNKNOWN) else float(np.percentile(m, 80))
    toe = metrics.knee_toe_dev[judged, s][metrics.toe_trusted[judged, s]]
    return SideMeasures(value, float(np.max(metrics.fppa_deg[judged, s])),
                        float(100 * np.max(toe)) if toe.size else nan,
                        int(trusted.sum()), judged, int(judged[np.argmax(m)]))


def _flag(code: str, side: str, value: float, th: Threshold, rep: int) -> list[Fault]:
    if not np.isfinite(value):
        return []
    sev = th.severity(value)
    return [Fault(code, side, sev, value, th.onset, th.unit, rep)] if sev else []


def evaluate_rep(metrics: FrameMetrics, measure: np.ndarray, rep: Rep, exercise: Exercise,
                 fs: FaultSettings, judge_knees: bool = True, judge_pelvis: bool = True) -> RepResult:
    """Measures and faults for one rep.

    Parameters
    ----------
    measure : ndarray, shape (T, 2)
        Output of :func:`adjusted_valgus`.
    judge_knees, judge_pelvis : bool
        False in views where frontal-plane angles mean nothing (side or oblique view).
    """
    sides = tuple(_side(metrics, measure, rep, s, exercise, fs) for s in (0, 1))
    sl = slice(rep.start, rep.end + 1)
    pd = metrics.pelvic_drop_deg[sl][metrics.pelvis_trusted[sl]]
    drop = float(pd[np.argmax(np.abs(pd))]) if pd.size else float("nan")
    drop_side = None if not np.isfinite(drop) else ("left" if drop > 0 else "right")
    both = np.zeros(rep.end + 1 - rep.start, bool)
    for sm in sides:
        both[sm.judged_frames - rep.start] = True
    sep = metrics.knee_sep_ratio[sl][both & metrics.knee_trusted[sl].all(1)]

    single = exercise in (Exercise.LUNGE, Exercise.SINGLE_LEG_SQUAT)
    valgus_th = fs.valgus_single_leg if single else fs.valgus_squat
    faults: list[Fault] = []
    if judge_knees:
        for s, sm in zip(SIDES, sides):
            if single and rep.lead_leg and s != rep.lead_leg:
                continue  # the rear or free leg's frontal angle is not a fault
            faults += _flag("knee_valgus", s, sm.knee_valgus_deg, valgus_th, rep.index)
            if not single:  # a lunging knee moving outward over the foot is normal
                faults += _flag("knee_varus", s, sm.knee_valgus_deg, fs.varus_squat, rep.index)
        vl, vr = (sm.knee_valgus_deg for sm in sides)
        if not single and np.isfinite(vl) and np.isfinite(vr):
            worse = "left" if vl > vr else "right"
            faults += _flag("asymmetry", worse, abs(vl - vr), fs.asymmetry, rep.index)
    if drop_side and judge_pelvis:
        faults += _flag("hip_drop", drop_side, abs(drop), fs.hip_drop, rep.index)
    return RepResult(rep, sides, abs(drop), drop_side, float(np.min(sep)) if sep.size else float("nan"), tuple(faults))


SEVERITY_ORDER = {"mild": 1, "moderate": 2, "severe": 3}


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
