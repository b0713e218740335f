"""Per-rep measures and fault flags. Pure functions on arrays."""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from .groups import Segments, sort_groups
from .kinematics import Baseline, FrameMetrics, all_last, square_on
from .reps import Exercise, Rep
from .settings import FaultSettings
from .track import PoseTrack
from .view import RepView, View, judging_block, rep_turns
from .codes import SIDES, FaultCode, MeasureKind, NotJudged, Severity, Side, Verdict


class Fault(NamedTuple):
    """One flagged fault in one rep (a NamedTuple: thousands are made per hour of video)."""

    code: FaultCode
    side: Side            # subject's own side; for asymmetry, the side with more valgus
    severity: Severity
    value: float          # the measure, signed so that + is toward the fault
    threshold: float      # the onset it passed
    unit: str
    rep: int


class SideMeasures(NamedTuple):
    """One knee over one rep. NaN where the knee had too few trusted frames.

    ``valgus_measure_deg`` is the value judged against the valgus/varus thresholds
    (see :func:`valgus_measure`).
    """

    valgus_measure_deg: float
    fppa_deg: float
    knee_toe_medial_pct: float
    trusted_frames: int
    judged_frames: np.ndarray  # frame indices
    worst_frame: int           # the deepest judged frame: where the picture of this knee is taken


@dataclasses.dataclass(frozen=True)
class RepResult:
    """Everything concluded about one rep.

    Signed values: ``pelvic_drop_deg`` + = the subject's left side lower; ``trunk_lean_deg``
    + = toward the subject's left. NaN where not measured.
    """

    rep: Rep
    sides: tuple[SideMeasures, SideMeasures]
    pelvic_drop_deg: float
    trunk_lean_deg: float  # reported, not flagged: no validated threshold
    knee_sep_ratio: float
    faults: tuple[Fault, ...]
    knee_verdicts: tuple[Verdict, Verdict]
    hip_verdict: Verdict
    view: RepView          # how this rep was filmed
    measure_kind: MeasureKind  # what ``SideMeasures.valgus_measure_deg`` is
    causes: tuple = (None, None)  # per side: a :class:`knee_cv.cause.CauseHint` where valgus was flagged

    @property
    def asymmetry_deg(self) -> float:
        """Left minus right knee measure, degrees (+ = the left knee more toward valgus); NaN unless both judged."""
        if not all(v.judged for v in self.knee_verdicts):
            return float("nan")
        return self.sides[0].valgus_measure_deg - self.sides[1].valgus_measure_deg

    @property
    def pelvic_drop_side(self) -> Side | None:
        """The side that drops."""
        return Side.of_sign(self.pelvic_drop_deg)

    @property
    def trunk_lean_side(self) -> Side | None:
        """The side the trunk leans toward."""
        return Side.of_sign(self.trunk_lean_deg)

    @property
    def worst_frame(self) -> int:
        vals = [s.valgus_measure_deg if np.isfinite(s.valgus_measure_deg) else -np.inf for s in self.sides]
        best = int(np.argmax(vals))
        return self.sides[best].worst_frame if np.isfinite(vals[best]) else self.rep.bottom

    def verdict(self, part: Side | str) -> Verdict:
        """The verdict of a knee (``Side``) or of the hip (``"hip"``)."""
        return self.hip_verdict if part == "hip" else self.knee_verdicts[Side(part).index]

    def judged_frames(self, side: Side) -> np.ndarray:
        """The frames a knee's verdict was read from: none when it was not judged (its measure is still
        reported, from the frames it would have been judged on)."""
        k = Side(side).index
        return self.sides[k].judged_frames if self.knee_verdicts[k].judged else np.empty(0, np.intp)


def valgus_measure(fppa_deg: np.ndarray, depth: np.ndarray, exercise: Exercise, cfg: FaultSettings) -> np.ndarray:
    """The per-frame knee measure judged against the valgus/varus thresholds, degrees.

    For bilateral squats the raw FPPA swings strongly negative with depth because
    the thigh foreshortens toward the camera; adding ``squat_depth_slope_deg × depth``
    removes the trend a knee tracking over the foot shows. Positive = the knee is
    medial of that expected track. Single-leg work uses the raw FPPA.

    Parameters
    ----------
    fppa_deg : ndarray, shape (..., 2)
    depth : ndarray, shape (...)
        Fraction of leg length.

    Returns
    -------
    ndarray, shape (..., 2)
    """
    if exercise.one_legged:
        return fppa_deg
    return fppa_deg + cfg.squat_depth_slope_deg * np.asarray(depth)[..., None]


def judged_measure(metrics: FrameMetrics, reps: list[Rep], exercise: Exercise, cfg: FaultSettings) -> np.ndarray:
    """:func:`valgus_measure` per frame, with the raw FPPA in the frames of reps judged on it (shallow squats).

    Returns
    -------
    ndarray, shape (T, 2), degrees
    """
    measure = valgus_measure(metrics.fppa_deg, metrics.depth, exercise, cfg)
    if not exercise.one_legged:
        for r in (r for r in reps if r.depth < cfg.shallow_depth):  # as cfg.measure_kind decides
            measure[r.start:r.end + 1] = metrics.fppa_deg[r.start:r.end + 1]
    return measure


def plausible_frames(measure: np.ndarray, t: np.ndarray, trusted: np.ndarray, exercise: Exercise,
                     cfg: FaultSettings) -> np.ndarray:
    """Frames whose knee measure a body could have produced, shape (T, 2), bool.

    A measure beyond ``cfg.max_plausible_deg`` either way is a failed measurement (no knee bends that far in
    the frontal plane); so are both knees of a bilateral squat whose measures differ by more than
    ``cfg.max_plausible_gap_deg`` (one is misplaced, and we cannot tell which); and so are the two frames
    either side of a jump faster than ``cfg.max_knee_rate_deg_s`` between consecutive trusted frames (one
    of them is wrong: a knee landmark that leapt, not a knee that moved). Such frames are never judged.

    Parameters
    ----------
    measure : ndarray, shape (T, 2), degrees
    t : ndarray, shape (T,), seconds
    trusted : ndarray, shape (T, 2), bool
        Frames whose knee landmarks pass the trust rules (:class:`~knee_cv.kinematics.FrameMetrics`).
    """
    with np.errstate(invalid="ignore"):  # NaN compares False: a missing measure is simply not plausible
        ok = np.abs(measure) <= cfg.max_plausible_deg
        if not exercise.one_legged:  # in a squat both knees bend alike: a gap this wide means one is misplaced
            ok &= ~(np.abs(measure[:, 0] - measure[:, 1]) > cfg.max_plausible_gap_deg)[:, None]
        pair = (ok & trusted)[1:] & (ok & trusted)[:-1]
        # the floor keeps the per-frame jitter of high-speed video (small steps at a high rate) from counting
        limit = np.maximum(cfg.max_knee_rate_deg_s * np.diff(t), cfg.min_knee_jump_deg)[:, None]
        jump = pair & (np.abs(np.diff(measure, axis=0)) > limit)
    ok[1:] &= ~jump
    ok[:-1] &= ~jump
    return ok


def _reduce(ufunc, x: np.ndarray, keep: np.ndarray, first: np.ndarray, empty: float) -> np.ndarray:
    """``ufunc.reduceat`` over contiguous segments, ignoring elements not in ``keep``; NaN if none kept."""
    out = ufunc.reduceat(np.where(keep, x, empty), first, axis=0)
    return np.where(out == empty, np.nan, out)


class _Knees(NamedTuple):
    """Per-rep, per-side knee statistics, each shape (n, 2) unless noted."""

    value: np.ndarray          # the judged measure (median, or 80th percentile on one leg)
    fppa: np.ndarray           # peak FPPA over the judged frames
    toe: np.ndarray            # peak knee-over-toe deviation, % of leg length
    trusted: np.ndarray        # trusted frames in the rep
    deep: np.ndarray           # (n,) frames deep enough to judge
    enough: np.ndarray         # bool: enough judged frames
    worst: np.ndarray          # the deepest judged frame (the rep's bottom when none): its picture
    judged_frames: list        # 2n arrays of frame indices, rep-major
    need: int                  # judged frames a knee needs at this frame rate
    seen: np.ndarray           # bool: enough trusted deep frames, plausible or not (not hidden)
    feet_gone: np.ndarray      # bool: the foot unseen (out of the picture) in most deep frames


def _knee_stats(metrics: FrameMetrics, measure: np.ndarray, reps: list[Rep], seg: Segments, deep: np.ndarray,
                exercise: Exercise, cfg: FaultSettings) -> _Knees:
    f, n, first = seg.frame, seg.n, seg.first
    trusted = metrics.knee_trusted[f]                                                     # (N, 2)
    plausible = plausible_frames(measure, metrics.t, metrics.knee_trusted, exercise, cfg)[f]
    judged = trusted & deep[:, None] & plausible
    groups = (seg.group[:, None] * 2 + np.arange(2)).ravel()
    by_side = sort_groups(measure[f].ravel(), groups, judged.ravel(), 2 * n)
    by_depth = sort_groups(np.repeat(metrics.depth[f], 2), groups, judged.ravel(), 2 * n)
    need = cfg.min_frames(metrics.t)
    enough = by_side.count.reshape(n, 2) >= need
    value = np.where(enough, by_side.quantile(0.8 if exercise.one_legged else 0.5).reshape(n, 2), np.nan)
    fppa = np.where(enough, _reduce(np.maximum, metrics.fppa_deg[f], judged, first, -np.inf), np.nan)
    toe = _reduce(np.maximum, metrics.knee_toe_dev[f], judged & metrics.toe_trusted[f], first, -np.inf)
    bottoms = np.repeat([r.bottom for r in reps], 2)
    worst_ = np.where(enough.ravel(), f[by_depth.argmax() // 2], bottoms).reshape(n, 2)  # judged, nearest the bottom
    seen = np.add.reduceat(trusted & deep[:, None], first, axis=0) >= need
    n_deep = np.add.reduceat(deep, first)
    feet_gone = 2 * np.add.reduceat(~metrics.feet_seen[f] & deep[:, None], first, axis=0) > n_deep[:, None]
    return _Knees(value, fppa, np.where(enough, 100 * toe, np.nan), np.add.reduceat(trusted, first, axis=0),
                  n_deep, enough, worst_, by_side.members(of=np.repeat(f, 2)), need, seen, feet_gone)


def _knee_grades(reps: list[Rep], value: np.ndarray, toe: np.ndarray, exercise: Exercise, cfg: FaultSettings,
                 all_raw: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which reps are judged on the raw FPPA (n,), and the valgus and varus grade of each knee (n, 2), 0-3.
    ``all_raw``: ``value`` is the raw FPPA in every rep (:func:`_feet_sure`'s second reading)."""
    raw = np.array([all_raw or cfg.measure_kind(exercise, r.depth) is MeasureKind.FPPA for r in reps])
    valgus_grade = np.where(raw[:, None], cfg.valgus_single_leg.grade(value), cfg.valgus_squat.grade(value))
    valgus_grade = np.where(_outside_toe(toe, cfg), 0, valgus_grade)
    # a lunging or single-leg knee moving outward over the foot is normal; varus is judged in deep squats only
    varus_grade = np.where(raw[:, None], 0, cfg.varus_squat.grade(value))
    return raw, valgus_grade, varus_grade


def _outside_toe(toe: np.ndarray, cfg: FaultSettings) -> np.ndarray:
    """Knees that stayed outside their second toe (``toe``, % of leg, + = medial): not valgus, whatever the angle,
    by the coaching definition (the knee drifting inside the toes). NaN (toe not seen): False, no veto."""
    with np.errstate(invalid="ignore"):
        return np.asarray(toe) <= cfg.valgus_min_toe_pct


def outside_toe(result: RepResult, cfg: FaultSettings) -> tuple[bool, bool]:
    """(left, right): a judged, unflagged knee whose measure is past the valgus onset but which stayed outside
    its second toe, the case where "ok" sits beside a number in the red band (:func:`_knee_grades`' veto)."""
    onset = cfg.valgus_for(result.measure_kind).onset
    out = _outside_toe([m.knee_toe_medial_pct for m in result.sides], cfg)
    return tuple(bool(v.judged and v.severity is None and m.valgus_measure_deg >= onset and o)
                 for v, m, o in zip(result.knee_verdicts, result.sides, out))


def _square_checked(views: list[RepView], cfg: FaultSettings) -> np.ndarray:
    """Reps turned ``cfg.square_check_from_deg`` or more, whose verdicts must also hold square-on, shape (n,)."""
    with np.errstate(invalid="ignore"):  # a turn not read (NaN) is not checked
        return np.abs(np.array([v.turn_deg for v in views], float)) >= cfg.square_check_from_deg


def _turn_sure(reps: list[Rep], knees: _Knees, square: _Knees, exercise: Exercise, cfg: FaultSettings
               ) -> tuple[np.ndarray, np.ndarray]:
    """Knees whose verdict (faulty or not) is the same measured as filmed and square-on, shape (n, 2), and
    reps whose left-right difference is an asymmetry fault (or not) both ways, shape (n,).

    A body turned by 10 degrees shifts a squatting knee's measure by about 16 degrees, one knee toward valgus
    and the other away (renders: a clean squat read +5 to +7 on one knee). The turn read from the nose and feet can
    itself be 5-19 degrees off on real clips, so neither reading alone is trusted: a verdict that changes
    between them is not given (the knee is not judged: turned). So is one whose frames are plausible only
    square-on: as filmed, the turn pulled the two knees' readings apart beyond what a squat can do; and so is
    one seen at the bottom but plausible neither way (a turn read too large over-corrects: from behind, 20
    degrees read 24). Where the square-on reading has too few plausible frames, it cannot contradict the
    reading as filmed. The difference between the knees is what a turn changes most (one knee up, the other
    down), so an asymmetry fault, too, must hold both ways, on the same side.
    """
    _, v1, r1 = _knee_grades(reps, knees.value, knees.toe, exercise, cfg)
    _, v2, r2 = _knee_grades(reps, square.value, square.toe, exercise, cfg)
    agree = ((v1 + r1) > 0) == ((v2 + r2) > 0)
    # an asymmetry fault (+1 left more valgus, -1 right, 0 none) both ways, on the same side
    asym = [np.sign(d) * (cfg.asymmetry.grade(np.abs(d)) > 0) for d in (k.value[:, 0] - k.value[:, 1]
                                                                      for k in (knees, square))]
    return (np.where(knees.enough, ~square.enough | agree, ~square.enough & ~knees.seen),
            ~square.enough.all(1) | (asym[0] == asym[1]))


def _feet_sure(reps: list[Rep], knees: _Knees, raw: _Knees, exercise: Exercise, cfg: FaultSettings) -> np.ndarray:
    """Knees whose valgus call (valgus or not) is the same by the depth-adjusted FPPA and by the raw FPPA,
    shape (n, 2); for squats with the feet straight ahead.

    The depth adjustment stands for the knees travelling outward over turned-out feet as the squat deepens.
    With the feet straight ahead a knee tracking over its toes does not travel outward, and the adjustment
    alone reads it as caving in: the mannequin's clean squats with straight feet read +31 to +35 (severe),
    where the raw FPPA read -6 to +3. Deep real squats push the knees out whatever the feet, and there the
    raw FPPA reads -40 to -60 even for a knee that caves in. Neither reading alone is sure, so a valgus call
    must hold by both (else: not judged, feet straight). A raw reading with too few plausible frames cannot
    contradict; a varus call stands (the adjustment only ever pushes a straight-feet knee toward valgus).
    """
    _, v1, _ = _knee_grades(reps, knees.value, knees.toe, exercise, cfg)
    _, v2, _ = _knee_grades(reps, raw.value, raw.toe, exercise, cfg, all_raw=True)
    return np.where(knees.enough & raw.enough, (v1 > 0) == (v2 > 0), True)


def _flag(reps: list[Rep], value: np.ndarray, toe: np.ndarray, drop: np.ndarray, judged_knee: np.ndarray,
          hip_judged: np.ndarray, exercise: Exercise, cfg: FaultSettings, asym_sure: np.ndarray | bool = True
          ) -> tuple[list[list[Fault]], np.ndarray, np.ndarray]:
    """Faults per rep from the per-rep measures; only judged knees and hips are flagged.

    ``toe`` is each knee's peak knee-over-toe deviation (n, 2), % of leg length, + = medial: valgus is only
    flagged where the knee went medial of its toe line (NaN: the toe was not seen, no veto).
    Returns the faults of each rep, and the worst grade (0 = ok .. 3 = severe) per knee (n, 2) and hip (n,).
    """
    n, single = len(reps), exercise.one_legged
    worse = np.where(value[:, 0] > value[:, 1], 0, 1)  # asymmetry names the side with more valgus
    raw, valgus_grade, varus_grade = _knee_grades(reps, value, toe, exercise, cfg)
    knee_fault = ((np.where(judged_knee, valgus_grade + varus_grade, 0)) > 0).any(1)
    # a difference that a knee fault already explains is that fault, not a second one (reported as a number);
    # nor is it one when the knee reading more valgus stayed outside its toe line (the same veto as valgus)
    inside = ~_outside_toe(toe[np.arange(n), worse], cfg)
    both = judged_knee.all(1) & (not single) & ~knee_fault & inside & asym_sure
    onset = np.where(raw, cfg.valgus_single_leg.onset, cfg.valgus_squat.onset)
    checks = [  # (code, side index (n,), signed value (n,), grade (n,), onset (n,), unit)
        *[(FaultCode.KNEE_VALGUS, np.full(n, s), value[:, s], np.where(judged_knee[:, s], valgus_grade[:, s], 0),
           onset, "deg") for s in (0, 1)],
        *[(FaultCode.KNEE_VARUS, np.full(n, s), value[:, s], np.where(judged_knee[:, s], varus_grade[:, s], 0),
           np.full(n, cfg.varus_squat.onset), "deg") for s in (0, 1)],
        (FaultCode.ASYMMETRY, worse, np.abs(value[:, 0] - value[:, 1]),
         np.where(both, cfg.asymmetry.grade(np.abs(value[:, 0] - value[:, 1])), 0), np.full(n, cfg.asymmetry.onset),
         cfg.asymmetry.unit),
        (FaultCode.HIP_DROP, (drop < 0).astype(int), np.abs(drop),
         np.where(hip_judged, cfg.hip_drop.grade(np.abs(drop)), 0),
         np.full(n, cfg.hip_drop.onset), cfg.hip_drop.unit),
    ]
    per_rep: list[list[Fault]] = [[] for _ in reps]
    for code, side, val, grade, th, unit in checks:
        for k in np.flatnonzero(grade):  # only flagged reps reach Python
            per_rep[k].append(Fault(code, SIDES[side[k]], Severity.from_grade(grade[k]), float(val[k]), float(th[k]),
                                    unit, reps[k].index))
    knee_grade = np.where(judged_knee, np.maximum(valgus_grade, varus_grade), 0)
    return per_rep, knee_grade, checks[-1][3]


#: A judged verdict by grade (0 = ok, 1-3 = mild, moderate, severe).
_BY_GRADE = (Verdict.of(None), Verdict.of(Severity.MILD), Verdict.of(Severity.MODERATE), Verdict.of(Severity.SEVERE))
#: A not-judged verdict by reason (verdicts are values: one instance each, not one per rep).
_SKIP = {reason: Verdict.not_judged(reason) for reason in NotJudged}


def _judged_knees(reps: list[Rep], knees: _Knees, open_: np.ndarray, exercise: Exercise) -> np.ndarray:
    """Which knees are judged, shape (n, 2): enough trusted frames, a view that allows it, and not the rear
    or free leg of one-legged work (its frontal angle is no fault). :func:`_knee_verdict` gives the reason."""
    # one-legged work without a lead leg (filmed from behind: :func:`knee_cv.view.unknown_leads`) judges neither
    leads = np.array([[r.lead_leg == s for s in SIDES] for r in reps]).reshape(len(reps), 2)
    return knees.enough & open_[:, None] & (leads | (not exercise.one_legged))


def _knee_verdict(judged: bool, grade: int, blocked: NotJudged | None, rep: Rep, side: Side, exercise: Exercise,
                  hidden: NotJudged, turn_sure: bool = True, feet_sure: bool = True) -> Verdict:
    """The verdict of a knee :func:`_judged_knees` decided on: its grade, or why it was not judged (``hidden``:
    the reason when nothing else explains it, :func:`_hidden_reasons`)."""
    if judged:
        return _BY_GRADE[grade]
    if blocked is not None:
        return _SKIP[blocked]
    if exercise.one_legged and rep.lead_leg is None:
        return _SKIP[NotJudged.LEAD_LEG_UNKNOWN]
    if exercise.one_legged and rep.lead_leg != side:
        return _SKIP[NotJudged.REAR_LEG if exercise is Exercise.LUNGE else NotJudged.FREE_LEG]
    if not turn_sure:
        return _SKIP[NotJudged.TURNED]
    if not feet_sure:
        return _SKIP[NotJudged.FEET_STRAIGHT]
    return _SKIP[hidden]


def evaluate_reps(metrics: FrameMetrics, measure: np.ndarray, reps: list[Rep], exercise: Exercise,
                  cfg: FaultSettings, *, views: list[RepView] | None = None, hints=None,
                  square: tuple[FrameMetrics, np.ndarray] | None = None,
                  straight: np.ndarray | None = None, small: bool = False) -> list[RepResult]:
    """Measures, faults and verdicts for every rep, vectorized over reps and sides.

    Each knee is judged on its trusted frames at or past ``cfg.judge_from_depth_fraction``
    of the rep's depth (the median for squats, the 80th percentile for single-leg
    work). Pelvic drop and trunk lean are medians of their trusted changes over
    those same deep frames: landmarks jitter by a few pixels, so a per-frame
    maximum would report noise as drop.

    Parameters
    ----------
    measure : ndarray, shape (T, 2)
        Output of :func:`valgus_measure`, degrees.
    reps : list of Rep
    hints : callable, optional
        ``hints(faults_per_rep, worst_frames, judged) -> [(left, right), ...]``: the cause hint of each flagged knee
        (:func:`knee_cv.cause.hint_maker`).
    views : list of RepView, optional
        How each rep was filmed (:func:`knee_cv.view.rep_views`). A rep seen side-on or with the body
        turned beyond ``cfg.max_yaw_deg`` judges no knee or hip, and its pelvic drop and trunk lean are NaN.
    square : (FrameMetrics, ndarray), optional
        The metrics and measure with the body's turn taken out (:func:`knee_cv.kinematics.square_on`): in reps
        turned at least ``cfg.square_check_from_deg``, a knee whose verdict differs between the two is not
        judged (turned), see :func:`_turn_sure`.
    straight : ndarray, shape (T, 2), degrees, optional
        The raw FPPA, for a bilateral squat with the feet straight ahead: a knee whose valgus call differs
        between it and ``measure`` is not judged (feet_straight), see :func:`_feet_sure`.
    small : bool
        The person's standing legs are shorter than ``cfg.min_leg_px``: no knee or hip is judged (person_small).
    """
    if not reps:
        return []
    views = views or [RepView(View.FRONT, 0.0)] * len(reps)
    too_small = NotJudged.PERSON_SMALL if small else None  # after the view's reasons: those say more
    blocks = [judging_block(v.view, v.turn_deg, cfg.max_yaw_deg, v.axis_deg) or too_small for v in views]
    open_ = np.array([b is None for b in blocks])
    seg = Segments.from_bounds([r.start for r in reps], [r.end for r in reps])
    f = seg.frame
    deep = metrics.depth[f] >= cfg.judge_from_depth_fraction * np.array([r.depth for r in reps])[seg.group]
    knees = _knee_stats(metrics, measure, reps, seg, deep, exercise, cfg)
    drop = _deep_median(metrics.pelvic_drop_deg, metrics.pelvis_trusted, seg, deep, open_, knees.need)
    lean = _deep_median(metrics.trunk_lean_deg, metrics.trunk_trusted, seg, deep, open_, knees.need)
    both = all_last(metrics.knee_trusted[f]) & deep
    sep = _reduce(np.minimum, metrics.knee_sep_ratio[f], both, seg.first, np.inf)
    judged_knee = _judged_knees(reps, knees, open_, exercise)
    sure, asym_sure, feet_sure = _certainty(metrics, reps, knees, seg, deep, views, exercise, cfg, square, straight)
    judged_knee &= sure & feet_sure
    per_rep, knee_grade, hip_grade = _flag(reps, knees.value, knees.toe, drop, judged_knee, open_, exercise, cfg,
                                           asym_sure)
    causes = hints(per_rep, knees.worst, judged_knee) if hints is not None else [(None, None)] * len(reps)
    hips = [_SKIP[b] if b is not None else _SKIP[NotJudged.TOO_FEW_FRAMES] if not np.isfinite(d) else _BY_GRADE[g]
            for b, d, g in zip(blocks, drop.tolist(), hip_grade.tolist())]
    verdicts = _knee_verdicts(reps, knees, judged_knee, knee_grade, blocks, sure, feet_sure, exercise, cfg)
    return [RepResult(rep, _side_measures(knees, k), float(drop[k]), float(lean[k]), float(sep[k]),
                      tuple(per_rep[k]), verdicts[k], hips[k], views[k], cfg.measure_kind(exercise, rep.depth),
                      causes[k]) for k, rep in enumerate(reps)]


def _deep_median(x: np.ndarray, ok: np.ndarray, seg: Segments, deep: np.ndarray, open_: np.ndarray,
                 need: int) -> np.ndarray:
    """Each rep's median of ``x`` (shape (T,)) over its trusted deep frames, shape (n,); NaN with fewer than
    ``need`` of them, and in reps not open to judging (a side or oblique view's hip and trunk lines say little
    about the frontal plane)."""
    g = sort_groups(x[seg.frame], seg.group, ok[seg.frame] & deep, seg.n)
    return np.where((g.count >= need) & open_, g.quantile(0.5), np.nan)


def _certainty(metrics, reps, knees, seg, deep, views, exercise, cfg, square, straight):
    """Which knees' verdicts survive the square-on and the feet-straight checks of :func:`evaluate_reps`.

    Returns
    -------
    sure : ndarray, shape (n, 2), bool
        The verdict holds with the body's turn taken out, or the rep was not turned enough to check.
    asym_sure : ndarray, shape (n,), bool, or bool
        The asymmetry call holds the same way.
    feet_sure : ndarray, shape (n, 2), bool
        The valgus call holds by the raw FPPA too, or the feet were not straight.
    """
    n = seg.n
    sure, asym_sure = (np.ones((n, 2), bool), True) if square is None else \
        _turn_sure(reps, knees, _knee_stats(*square, reps, seg, deep, exercise, cfg), exercise, cfg)
    checked = _square_checked(views, cfg)
    feet_sure = np.ones((n, 2), bool) if straight is None else \
        _feet_sure(reps, knees, _knee_stats(metrics, straight, reps, seg, deep, exercise, cfg), exercise, cfg)
    return sure | ~checked[:, None], asym_sure | ~checked, feet_sure


def _side_measures(knees, k: int) -> tuple[SideMeasures, SideMeasures]:
    """Rep ``k``'s measures of each knee, from :func:`_knee_stats`."""
    return tuple(SideMeasures(float(knees.value[k, s]), float(knees.fppa[k, s]), float(knees.toe[k, s]),
                              int(knees.trusted[k, s]), knees.judged_frames[2 * k + s], int(knees.worst[k, s]))
                 for s in range(2))


def _knee_verdicts(reps, knees, judged, grade, blocks, sure, feet_sure, exercise, cfg) -> list[tuple]:
    """Each rep's (left, right) :class:`Verdict`, from the judged mask, grades and blocks, shapes (n, 2)."""
    hidden = _hidden_reasons(knees)
    judged, grade, sure, feet_sure = judged.tolist(), grade.tolist(), sure.tolist(), feet_sure.tolist()
    return [tuple(_knee_verdict(judged[k][s], grade[k][s], blocks[k], rep, side, exercise, hidden[k][s], sure[k][s],
                                feet_sure[k][s]) for s, side in enumerate(SIDES)) for k, rep in enumerate(reps)]


def _hidden_reasons(knees: _Knees) -> list[list[NotJudged]]:
    """Why a knee without enough trusted frames was not judged, per rep and side: too few deep frames at all,
    its foot out of the picture or unseen in most of them (the knee is measured against it), or the knee itself
    hidden or misplaced."""
    few, gone = (knees.deep < knees.need).tolist(), knees.feet_gone.tolist()
    return [[NotJudged.TOO_FEW_FRAMES if f else NotJudged.FEET_HIDDEN if g else NotJudged.KNEE_HIDDEN for g in pair]
            for f, pair in zip(few, gone)]


def judge_reps(track: PoseTrack, base: Baseline, metrics: FrameMetrics, reps: list[Rep], exercise: Exercise,
               cfg: FaultSettings, views: list[RepView], hints=None) -> tuple[np.ndarray, list[RepResult]]:
    """Judge every rep as filmed and square-on (analyze and live mode alike): the per-frame measure (T, 2),
    degrees (:func:`judged_measure`), and each rep's :class:`RepResult` (:func:`evaluate_reps`).

    The square-on measures are computed only when some rep is turned ``cfg.square_check_from_deg`` or more
    (no other rep is checked): a clip filmed square-on costs nothing extra. With the feet straight ahead
    (:func:`feet_straight`) a valgus call must also hold by the raw FPPA."""
    measure = judged_measure(metrics, reps, exercise, cfg)
    small = bool(base.leg_length < cfg.min_leg_px)
    square = None
    if _square_checked(views, cfg).any():
        m = square_on(metrics, track, base, rep_turns(reps, views, len(track)))
        square = (m, judged_measure(m, reps, exercise, cfg))
    straight = metrics.fppa_deg if feet_straight(base, exercise, cfg) else None
    return measure, evaluate_reps(metrics, measure, reps, exercise, cfg, views=views, hints=hints, square=square,
                                  straight=straight, small=small)


def feet_straight(base: Baseline, exercise: Exercise, cfg: FaultSettings) -> bool:
    """A bilateral squat with the feet turned out less than ``cfg.straight_feet_deg`` (NaN: not known, no)."""
    return not exercise.one_legged and bool(base.toe_out_deg < cfg.straight_feet_deg)


def main_fault(faults) -> Fault | None:
    """The fault a cue should be about: the most severe knee or hip fault; asymmetry only if it is alone
    (it names no movement to correct)."""
    concrete = [f for f in faults if f.code is not FaultCode.ASYMMETRY] or list(faults)
    return max(concrete, key=lambda f: f.severity.rank, default=None)


@dataclasses.dataclass(frozen=True)
class FaultSummary:
    """One fault over a whole video: on which reps it was flagged and how bad it got."""

    code: FaultCode
    side: Side
    reps: tuple[int, ...]
    of_reps: int
    severity: Severity
    worst_value: float
    threshold: float
    unit: str

    @property
    def count(self) -> int:
        return len(self.reps)


def summarize(results: list[RepResult]) -> list[FaultSummary]:
    """Per-video fault summary: one entry per (code, side), the most frequent first, then the most severe."""
    groups: dict[tuple[FaultCode, Side], list[Fault]] = {}
    for r in results:
        for f in r.faults:
            groups.setdefault((f.code, f.side), []).append(f)
    out = []
    for (code, side), group in groups.items():
        w = max(group, key=lambda f: (f.severity.rank, abs(f.value)))
        out.append(FaultSummary(code, side, tuple(f.rep for f in group), len(results), w.severity, w.value,
                                w.threshold, w.unit))
    # asymmetry last: it names no movement of its own, so it never outranks the knee fault it comes with
    return sorted(out, key=lambda d: (d.code is FaultCode.ASYMMETRY, -d.count / max(d.of_reps, 1), -d.severity.rank))
