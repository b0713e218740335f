"""Serializing results: report.json, CSVs and the terminal summary. The only place dicts are built."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import numpy as np

from . import exercises as ex
from . import present as P
from .codes import SIDES, FaultCode, Verdict, WarningCode
from .codes import finite_or_none as _num

#: 2: verdicts carry ``judged`` and ``reason``; an unjudged knee or hip says "not judged" (it was "n/a", "rear leg",
#: "free leg", or wrongly "ok" in side and turned views); pelvic drop and trunk lean are signed.
#: 3: ``tool``, ``analyzed_at`` and ``session`` (subject, date, notes); each warning is ``{"code", "message"}``;
#: ``plan`` lists each corrective exercise once with the faults it addresses and a dose that follows the severity;
#: sources are the documents' titles.
SCHEMA_VERSION = 3


def _verdict(v: Verdict) -> dict:
    return {"verdict": P.verdict_word(v), "judged": v.judged, "reason": v.reason.value if v.reason else None}


def rep_dict(a, r) -> dict:
    """One rep of an :class:`~knee_cv.analysis.Analysis` as report.json has it."""
    t = a.track.t
    d = {"index": r.rep.index, "start_s": _num(t[r.rep.start], 3), "bottom_s": _num(t[r.rep.bottom], 3),
         "end_s": _num(t[r.rep.end], 3), "depth": _num(r.rep.depth, 3), "worst_s": _num(t[r.worst_frame], 3)}
    if r.rep.lead_leg:
        d["lead_leg"] = r.rep.lead_leg.value
    d["view"], d["body_turn_deg"] = r.view.view.value, _num(r.view.turn_deg, 1)
    d["knee_measure"] = r.measure_kind.value
    for s, sm, v in zip(SIDES, r.sides, r.knee_verdicts):
        d[s.value] = {"knee_valgus_deg": _num(sm.valgus_measure_deg, 2), "fppa_deg": _num(sm.fppa_deg, 2),
                      "knee_toe_medial_pct": _num(sm.knee_toe_medial_pct, 2), "trusted_frames": sm.trusted_frames,
                      "judged_frames": len(r.judged_frames(s)), **_verdict(v),
                      "cause": _cause(r.causes[s.index]),
                      "judged_s": [_num(t[i], 3) for i in r.judged_frames(s)]}
    hip = _verdict(r.hip_verdict)
    d.update(pelvic_drop_deg=_num(abs(r.pelvic_drop_deg), 2), pelvic_drop_side=_side(r.pelvic_drop_side),
             pelvic_drop_signed_deg=_num(r.pelvic_drop_deg, 2),
             trunk_lean_deg=_num(abs(r.trunk_lean_deg), 2), trunk_lean_side=_side(r.trunk_lean_side),
             trunk_lean_signed_deg=_num(r.trunk_lean_deg, 2),
             knee_sep_ratio=_num(r.knee_sep_ratio, 3), knee_asymmetry_deg=_num(r.asymmetry_deg, 2),
             hip_verdict=hip["verdict"], hip_judged=hip["judged"],
             hip_reason=hip["reason"],
             faults=[_fault(f) for f in r.faults])
    return d


def _cause(c) -> dict | None:
    """A knee's cause hint (only where valgus was flagged)."""
    if c is None:
        return None
    return {"driver": c.driver.value, "hint": P.DRIVER_WORDS[c.driver], "thigh_deg": _num(c.thigh_deg, 2),
            "shank_deg": _num(c.shank_deg, 2), "thigh_pct": _num(c.thigh_pct, 2), "shank_pct": _num(c.shank_pct, 2),
            "heel_rise_pct": _num(c.heel_rise_pct, 1), "foot_turn_deg": _num(c.foot_turn_deg, 1),
            "reference": c.reference.value}


def _fault(f) -> dict:
    return {"code": f.code.value, "side": f.side.value, "severity": f.severity.value, "value": round(f.value, 2),
            "threshold": f.threshold, "unit": f.unit}


def _side(side) -> str | None:
    return side.value if side is not None else None


def _fault_summary(f) -> dict:
    return {"code": f.code.value, "side": f.side.value, "reps": list(f.reps), "count": f.count,
            "of_reps": f.of_reps, "severity": f.severity.value, "worst_value": round(f.worst_value, 2),
            "threshold": f.threshold, "unit": f.unit}


def _plan(plan) -> dict:
    return {"exercises": [{"name": i.drill.name, "kind": i.drill.kind, "how": i.drill.how, "dose": i.dose,
                           "why": i.drill.why, "source": i.drill.source.title,
                           "addresses": [{"code": c.value, "side": s.value} for c, s in i.addresses]}
                          for i in plan.items],
            "cues": [{"cue": c.text, "source": c.source.title} for c in plan.cues],
            "dose_rule": ex.DOSE_RULE,
            "sources": [s.title for s in plan.sources] if plan.items else []}


def _finite(obj):
    """Replace NaN and inf by None anywhere in a JSON-bound structure (strict parsers reject them)."""
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _version() -> str:
    from . import __version__
    return __version__


def to_dict(result) -> dict:
    """The report.json document of a :class:`knee_cv.api.Result` (schema in README)."""
    a = result.analysis
    video = {k: v for k, v in dataclasses.asdict(result.video).items()
             if k not in ("sha256", "live", "frames_skipped", "crop") or v}
    video["truncated"] = result.video.truncated
    doc = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "knee-cv", "version": _version()},
        "analyzed_at": result.analyzed_at or None,
        "session": dataclasses.asdict(result.session),
        "video": video, "model": dataclasses.asdict(result.model),
        "view": a.view.value, "view_class": a.view_class.value, "body_yaw_deg": _num(a.yaw_deg, 1),
        "exercise": a.exercise.value,
        "leg_length_px": _num(a.baseline.leg_length, 1) if a.baseline else None,
        "reps": [rep_dict(a, r) for r in a.reps],
        "faults": [_fault_summary(f) for f in a.faults],
        "plan": _plan(a.plan),
        "warnings": [{"code": getattr(w, "code", WarningCode.OTHER).value, "message": str(w)} for w in a.warnings],
        "safety": ex.SAFETY,
        "safety_sources": [s.title for s in ex.SAFETY_SOURCES],
        "limits": ex.MEASUREMENT_LIMITS,
        "settings": dataclasses.asdict(a.settings),
        **result.extra,
        "outputs": list(result.outputs),
    }
    return _finite(doc)


def report_json(result) -> str:
    return json.dumps(to_dict(result), indent=2, allow_nan=False)


REP_FIELDS = ["rep", "side", "start_s", "bottom_s", "end_s", "lead_leg", "verdict", "judged", "reason",
              "knee_valgus_deg", "fppa_deg", "knee_toe_medial_pct", "trusted_frames", "judged_frames",
              "pelvic_drop_deg", "pelvic_drop_side", "trunk_lean_deg", "trunk_lean_side", "knee_sep_ratio",
              "fault_code", "fault_severity", "fault_value", "fault_unit", "faults"]


def _knee_fault(r: dict, side: str) -> dict:
    """The knee fault (valgus or varus) of one side of a rep as structured columns; empty if none."""
    f = next((f for f in r["faults"] if f["side"] == side and FaultCode(f["code"]).is_knee), None)
    keys = ("fault_code", "fault_severity", "fault_value", "fault_unit")
    return dict(zip(keys, (f["code"], f["severity"], f["value"], f["unit"]))) if f else dict.fromkeys(keys, "")


def rep_rows(report: dict):
    """Per rep and side: the rows of reps.csv (also the batch's reps.csv)."""
    for r in report["reps"]:
        for s in ("left", "right"):
            yield {"rep": r["index"], "side": s, "start_s": r["start_s"], "bottom_s": r["bottom_s"],
                   "end_s": r["end_s"], "lead_leg": r.get("lead_leg", ""),
                   **{k: r[s][k] for k in ("verdict", "judged", "reason", "knee_valgus_deg", "fppa_deg",
                                           "knee_toe_medial_pct", "trusted_frames", "judged_frames")},
                   **{k: r[k] for k in ("pelvic_drop_deg", "pelvic_drop_side", "trunk_lean_deg", "trunk_lean_side",
                                        "knee_sep_ratio")}, **_knee_fault(r, s),
                   "faults": ";".join(f"{f['code']}:{f['severity']}" for f in r["faults"] if f["side"] == s)}


def reps_csv(report: dict) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, REP_FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows(rep_rows(report))
    return buf.getvalue()


def frames_csv(a) -> str:
    """Per-frame measures; empty cells where a measure is undefined."""
    cols = ["t_s", "depth", "pelvic_drop_deg", "trunk_lean_deg", "knee_sep_ratio"]
    for s in ("left", "right"):
        cols += [f"{s}_fppa_deg", f"{s}_knee_valgus_deg", f"{s}_knee_toe_medial_pct", f"{s}_knee_trusted"]
    m = a.metrics
    if m is None:
        return ",".join(cols) + "\n"
    data = [m.t, m.depth, m.pelvic_drop_deg, m.trunk_lean_deg, m.knee_sep_ratio]
    for i in (0, 1):
        data += [m.fppa_deg[:, i], a.valgus_measure[:, i], 100 * m.knee_toe_dev[:, i],
                 m.knee_trusted[:, i].astype(float)]
    arr = np.column_stack(data)
    buf = io.StringIO()
    buf.write(",".join(cols) + "\n")
    fmt = ["%.4f"] + ["%.4f"] * 4 + ["%.2f", "%.2f", "%.2f", "%d"] * 2
    text = io.StringIO()
    np.savetxt(text, arr, fmt=fmt, delimiter=",")
    buf.write(text.getvalue().replace("nan", ""))
    return buf.getvalue()


def _ansi(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def _rep_lines(a, color: bool) -> list[str]:
    lines = ["", "  rep  bottom   left knee          right knee         hip                trunk lean"]
    for r in a.reps:
        lead = f"  (lead: {r.rep.lead_leg.value})" if r.rep.lead_leg else ""
        cells = [_ansi(f"{P.verdict_cell(v):<18}", P.tone(v).value.ansi, color)
                 for v in (*r.knee_verdicts, r.hip_verdict)]
        lean = "n/a" if not np.isfinite(r.trunk_lean_deg) else f"{abs(r.trunk_lean_deg):.0f} deg" + (
            f" to {r.trunk_lean_side.value}" if abs(r.trunk_lean_deg) >= 0.5 else "")
        lines.append(f"  {r.rep.index:>3}  {a.track.t[r.rep.bottom]:5.1f}s   " + " ".join(cells)
                     + (f" {lean:<15}" + lead).rstrip())
    return lines


def _fault_lines(a) -> list[str]:
    lines = ["", "  Faults:"]
    for f in a.faults:
        lines.append(f"    - {P.fault_phrase(f.code, f.side)}: {f.count} of {f.of_reps} reps, worst {f.severity.value} "
                     f"({P.signed(f.worst_value, f.unit)}; flagged from {P.signed(f.threshold, f.unit)})")
    hints = [P.cause_text(s, c) for r in a.reps for s, c in zip(SIDES, r.causes) if c is not None]
    if hints:
        lines += ["", "  Likely driver (a hint from the video, not a diagnosis):"]
        lines += [f"    - rep {r.rep.index}, {P.cause_text(s, c)}" for r in a.reps for s, c in zip(SIDES, r.causes)
                  if c is not None][:6]
    lines += ["", "  Train (each exercise once; the PDF explains how):"]
    lines += [f"    - {i.drill.name}: {i.dose}" for i in a.plan.items]
    if a.plan.cues:
        lines += ["", "  While you move:"] + [f'    - "{c.text}"' for c in a.plan.cues]
    return lines


def summary_text(result, *, color: bool = False) -> str:
    """A summary of a :class:`knee_cv.api.Result` a person reads in ten seconds."""
    a, v = result.analysis, result.video
    lines = [_ansi(f"knee-cv: {P.printable(Path(v.path).name)}", "1", color),
             f"  {P.exercise_words(a.exercise, a.reps)}, {P.view_words(a.view_class, a.yaw_deg)}, "
             f"{P.count(len(a.reps), 'rep')}, {v.duration_s:.1f} s at {v.fps:.1f} fps, model {result.model.name}"
             + P.crop_words(v.crop)]
    lines += [_ansi(f"  ! {w}", "33", color) for w in a.warnings]
    if a.reps:
        lines += _rep_lines(a, color)
        lines += [f"  Rep {r.rep.index}: {n}" for r in a.reps for n in P.outside_toe_notes(r, a.settings.faults)]
    if a.faults:
        lines += _fault_lines(a)
    elif a.reps:
        nf = P.no_fault_words(a.reps)
        text = "  " + nf.sentence()
        lines += ["", _ansi(text, nf.tone.value.ansi, color) if nf.tone else text]
    lines += ["", "  " + ex.SAFETY, "  " + ex.MEASUREMENT_LIMITS]
    if result.out_dir is not None:
        lines += ["", f"  Results: {result.out_dir}/"]
        shown = {"report.pdf": "PDF report", "annotated.mp4": "annotated video",
                 "annotated_mp4v.mp4": "annotated video (mp4v fallback)", "report.json": "all numbers"}
        lines += [f"    {shown[name]:<32} {Path(result.out_dir) / name}" for name in result.outputs if name in shown]
    return "\n".join(lines)


def _event(e) -> dict:
    d = {"t": e.t, "event": e.kind}
    if e.rep:
        d["rep"] = e.rep
    if e.code is not None:
        d.update(code=e.code.value, side=e.side.value if e.side else None)
    if e.text:
        d["text"] = e.text
    if e.leg_length_px is not None:
        d["leg_length_px"] = e.leg_length_px
    return d


def live_section(session, stats) -> dict:
    """report.json's ``live``: the per-rep verdicts given during the session, the events, and the loop's speed."""
    lat = np.asarray(stats.latency_ms if stats.latency_ms else [np.nan])
    reps = []
    for r in session.reps:
        res = r.result
        verdicts = {s.value: v for s, v in zip(SIDES, res.knee_verdicts)} | {"hip": res.hip_verdict}
        reps.append({"index": r.number, "start_s": round(r.start_s, 3), "bottom_s": round(r.bottom_s, 3),
                     "end_s": round(r.end_s, 3),
                     "verdict": {k: P.verdict_word(v) for k, v in verdicts.items()},
                     "reason": {k: v.reason.value if v.reason else None for k, v in verdicts.items()},  # null: judged
                     "faults": [_fault(f) for f in res.faults],
                     "message": r.message})
    return {"reps": reps, "events": [_event(e) for e in session.events],
            "stats": {"frames_processed": stats.frames, "frames_dropped": stats.dropped,
                      "fps": round(stats.fps, 1) if stats.fps else None,
                      "latency_ms": {"median": _num(np.median(lat), 1), "p95": _num(np.percentile(lat, 95), 1)}},
            "smoothing": dataclasses.asdict(session.live.smoothing)}
