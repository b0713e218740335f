"""The built-in demo: render a mannequin clip with known faults, analyze it, check it against the truth."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from . import kinematics as K
from .codes import SIDES, FaultCode, Side
from .mannequin import ANKLE2, HIP2, KNEE2, J, Scenario, draw_frame, frame_turns, pose_world, project
from .reps import Exercise
from .files import ensure_dir, write_atomic

#: How close the pipeline must come to the rendered truth (issue 6; 2D FPPA SEM is 2-4 deg).
TOLERANCE = {"peak_fppa_deg": 3.0, "pelvic_drop_deg": 1.5}


@dataclasses.dataclass(frozen=True)
class DemoResult:
    video: Path
    truth: dict
    check: dict
    result: object  # api.Result


def render_video(sc: Scenario, path: Path) -> Path:
    """Write the scenario as an H.264 mp4 (or the mp4v fallback); returns the path written."""
    from .render import VideoSink

    xyz, _, _ = pose_world(sc)
    with VideoSink(path, sc.fps, sc.size, fast=False) as sink:
        for frame, turn in zip(xyz, frame_turns(sc)):
            sink.write(draw_frame(sc, frame, turn))
    return sink.path


def truth(sc: Scenario) -> dict:
    """The true 2D measures of the rendered clip, per frame and per rep.

    Per-frame values use knee-cv's own definitions (README) on the exact
    projected joints. A rep's peak FPPA is taken over the frames at or past 60 %
    of its depth, as the pipeline judges it.
    """
    xyz, rep, t = pose_world(sc)
    p = project(sc, xyz)                                   # (T, J, 2)
    P = np.moveaxis(p, -1, 0)                              # (2, T, J) coordinate-first
    hip, knee, ankle = P[..., HIP2], P[..., KNEE2], P[..., ANKLE2]
    toe = P[..., [J.L_TOE, J.R_TOE]]
    med = K.medial_axis(hip)
    fppa = K.fppa_deg(hip, knee, ankle, med)               # (T, 2)
    leg = float(np.median(K.norm(hip - ankle)[rep == 0]))
    tilt = K.pelvic_tilt_deg(hip)
    drop = tilt - np.median(tilt[rep == 0])
    lean = K.trunk_lean_deg(hip, P[..., [J.L_SHOULDER, J.R_SHOULDER]])
    lean = lean - np.median(lean[rep == 0])
    hip_y = hip[1].mean(-1)
    depth = (hip_y - np.median(hip_y[rep == 0])) / leg
    dev = K.dot(knee - toe, med) / leg
    reps = []
    single = sc.exercise.one_legged
    for k, spec in enumerate(sc.reps, start=1):
        idx = np.flatnonzero(rep == k)
        deep = idx[depth[idx] >= 0.6 * depth[idx].max()]
        lead = sc.lead_leg if single else None
        faults = [{"code": FaultCode.KNEE_VALGUS.value, "side": s.value} for s, v in zip(SIDES, spec.valgus_cm)
                  if v > 0 and lead in (None, s)]
        if spec.hip_drop_deg:
            faults.append({"code": FaultCode.HIP_DROP.value, "side": Side.of_sign(spec.hip_drop_deg).value})
        reps.append({
            "index": k, "start_s": float(t[idx[0]]), "bottom_s": float(t[idx[np.argmax(depth[idx])]]),
            "end_s": float(t[idx[-1]]), "lead_leg": lead,
            "rendered": {"valgus_cm": list(spec.valgus_cm), "hip_drop_deg": spec.hip_drop_deg, "depth": spec.depth,
                         "trunk_follow": spec.trunk_follow, "driver": spec.driver,
                         "heel_rise_cm": spec.heel_rise_cm},
            # the true driver of the valgus (issue 18): a heel rise is a foot sign whatever the knee does
            "driver": (None if not any(spec.valgus_cm) else "foot" if spec.heel_rise_cm > 0 else spec.driver),
            "heel_rise_pct": 100 * spec.heel_rise_cm / 100 / (sc.body.foot + sc.body.heel_back),
            "peak_fppa_deg": {s: float(fppa[deep, i].max()) for i, s in enumerate(("left", "right"))},
            "knee_toe_medial_pct": {s: float(100 * dev[deep, i].max()) for i, s in enumerate(("left", "right"))},
            "pelvic_drop_deg": float(abs(np.median(drop[deep]))),
            "trunk_lean_deg": float(abs(np.median(lean[deep]))),
            "trunk_lean_side": _side_value(float(np.median(lean[deep]))),
            "trunk_lean_signed_deg": float(np.median(lean[deep])),
            "pelvic_drop_signed_deg": float(np.median(drop[deep])),
            "faults": faults,
        })
    return {"schema_version": 1, "exercise": sc.exercise.value, "fps": sc.fps, "frames": len(t),
            "width": sc.size[0], "height": sc.size[1], "leg_length_px": leg, "reps": reps,
            "frames_truth": {"t": t.round(4).tolist(), "fppa_deg": fppa.round(3).tolist(),
                             "pelvic_drop_deg": drop.round(3).tolist(), "trunk_lean_deg": lean.round(3).tolist(),
                             "depth": depth.round(4).tolist()},
            "definitions": "FPPA, knee-over-toe, pelvic drop and trunk lean as in README 'Definitions', computed on "
                           "the exact projected joints; peak FPPA and median pelvic drop and trunk lean over frames at "
                           ">= 60% of the rep's depth"}


def _side_value(v: float) -> str | None:
    side = Side.of_sign(v)
    return side.value if side else None


def compare(truth_: dict, report: dict) -> dict:
    """Per-rep errors of the pipeline against the truth, and whether each limit holds.

    FPPA is compared on the legs knee-cv judges: both in a squat, the lead (or
    standing) leg in a lunge or single-leg squat.
    """
    rows = []
    for tr, rr in zip(truth_["reps"], report["reps"]):
        judged = [s for s in ("left", "right") if tr.get("lead_leg") in (None, s)]  # not a lunge's rear leg
        fppa_err = {s: (rr[s]["fppa_deg"] - tr["peak_fppa_deg"][s]) if rr[s]["fppa_deg"] is not None else None
                    for s in judged}
        drop_err = (rr["pelvic_drop_deg"] - tr["pelvic_drop_deg"]) if rr["pelvic_drop_deg"] is not None else None
        lean = rr["trunk_lean_signed_deg"]
        lean_err = None if lean is None else lean - tr["trunk_lean_signed_deg"]
        want = {(f["code"], f["side"]) for f in tr["faults"]}
        got = {(f["code"], f["side"]) for f in rr["faults"] if f["code"] in (FaultCode.KNEE_VALGUS, FaultCode.HIP_DROP)}
        rows.append({"rep": tr["index"], "fppa_error_deg": fppa_err, "pelvic_drop_error_deg": drop_err,
                     "trunk_lean_error_deg": lean_err,
                     "faults_expected": sorted(want), "faults_found": sorted(got), "faults_match": want == got})
    errs = [abs(v) for r in rows for v in r["fppa_error_deg"].values() if v is not None]
    drops = [abs(r["pelvic_drop_error_deg"]) for r in rows if r["pelvic_drop_error_deg"] is not None]
    leans = [abs(r["trunk_lean_error_deg"]) for r in rows if r["trunk_lean_error_deg"] is not None]
    summary = {
        "reps_true": len(truth_["reps"]), "reps_found": len(report["reps"]),
        "rep_count_exact": len(truth_["reps"]) == len(report["reps"]),
        "max_fppa_error_deg": max(errs) if errs else None,
        "max_pelvic_drop_error_deg": max(drops) if drops else None,
        "max_trunk_lean_error_deg": max(leans) if leans else None,  # reported; issue 6 sets no limit
        "faults_exact": len(rows) == len(truth_["reps"]) and all(r["faults_match"] for r in rows),
    }
    # limits are stated to 0.1 deg, the precision the errors are compared at
    within = lambda v, limit: v is not None and round(v, 1) <= limit  # noqa: E731
    summary["fppa_within_limit"] = within(summary["max_fppa_error_deg"], TOLERANCE["peak_fppa_deg"])
    summary["pelvic_drop_within_limit"] = within(summary["max_pelvic_drop_error_deg"], TOLERANCE["pelvic_drop_deg"])
    summary["within_tolerance"] = bool(summary["rep_count_exact"] and summary["faults_exact"]
                                       and summary["fppa_within_limit"] and summary["pelvic_drop_within_limit"])
    return {"summary": summary, "tolerance": TOLERANCE, "reps": rows}


def run_demo(*, exercise: Exercise = Exercise.SQUAT, scenario: Scenario | None = None,
             video_dir: str | Path = "sample_videos", out_dir: str | Path | None = None, model: str = "full",
             progress: bool = True, pdf: bool = True, annotate: bool = True) -> DemoResult:
    """Render the demo clip, write ``truth.json`` beside it, analyze it, and compare.

    Outputs: ``<video_dir>/demo_<exercise>.mp4`` and ``.truth.json``; the usual
    analysis outputs plus ``truth_check.json`` in ``out_dir``.
    """
    from .api import analyze

    sc = scenario or Scenario.preset(exercise)
    name = f"demo_{sc.exercise.value}"
    ensure_dir(video_dir, "folder for the rendered clip")
    ensure_dir(out_dir or Path("knee_cv_out") / name)
    video = render_video(sc, Path(video_dir) / f"{name}.mp4")
    tr = truth(sc)
    write_atomic(video.with_suffix(".truth.json"), json.dumps(tr))
    result = analyze(video, model=model, out_dir=out_dir or Path("knee_cv_out") / name, progress=progress,
                     pdf=pdf, annotate=annotate)
    check = compare(tr, result.report)
    write_atomic(result.out_dir / "truth_check.json", json.dumps(check, indent=2))
    return DemoResult(video, tr, check, result)


def check_text(check: dict) -> str:
    """A few lines for the terminal: the pipeline against the rendered truth."""
    s = check["summary"]
    fmt = lambda v: "n/a" if v is None else f"{v:.2f}"  # noqa: E731
    lines = [f"Truth check: reps {s['reps_found']}/{s['reps_true']}, "
             f"max |FPPA error| {fmt(s['max_fppa_error_deg'])} deg (limit {TOLERANCE['peak_fppa_deg']}), "
             f"max |pelvic drop error| {fmt(s['max_pelvic_drop_error_deg'])} deg "
             f"(limit {TOLERANCE['pelvic_drop_deg']}), faults on the right reps and sides: "
             f"{'yes' if s['faults_exact'] else 'NO'}"]
    if s["max_pelvic_drop_error_deg"] is not None and not s["pelvic_drop_within_limit"]:
        lines.append("  Pelvic drop misses its limit: MediaPipe's hip landmarks under-read a drop and follow the trunk "
                     "(README, 'Accuracy against rendered truth').")
    for r in check["reps"]:
        if not r["faults_match"]:
            lines.append(f"  rep {r['rep']}: rendered {r['faults_expected']}, found {r['faults_found']}")
    return "\n".join(lines)
