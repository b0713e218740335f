"""Serializing an :class:`~knee_cv.analysis.Analysis`: report.json, CSVs, terminal summary."""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from . import exercises as ex
from .errors import OutputError
from .analysis import Analysis
from .track import SIDES

SCHEMA_VERSION = 1


def ensure_dir(path: str | Path, what: str = "output folder") -> Path:
    """Create ``path`` (and parents) or raise :class:`OutputError` saying why; call before slow work."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".knee-cv-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"{path}: cannot use as {what} ({exc.strerror or exc})") from None
    return path


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write via a temporary file and rename, so a crash never leaves a half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _num(v, nd: int = 3):
    return None if v is None or not np.isfinite(v) else round(float(v), nd)


def rep_dict(a: Analysis, r) -> dict:
    t = a.track.t
    d = {"index": r.rep.index, "start_s": _num(t[r.rep.start]), "bottom_s": _num(t[r.rep.bottom]),
         "end_s": _num(t[r.rep.end]), "depth": _num(r.rep.depth), "worst_s": _num(t[r.worst_frame])}
    if r.rep.lead_leg:
        d["lead_leg"] = r.rep.lead_leg
    for s, sm in zip(SIDES, r.sides):
        d[s] = sm.as_dict()
        # a lunge's rear leg and a single-leg squat's free leg are not judged: say which, not "n/a"
        other = r.rep.lead_leg and s != r.rep.lead_leg
        d[s]["verdict"] = ("rear leg" if a.exercise.value == "lunge" else "free leg") if other else r.verdict(s)
        d[s]["judged_s"] = [_num(t[i]) for i in sm.judged_frames]
    d.update(pelvic_drop_deg=_num(r.pelvic_drop_deg, 2), pelvic_drop_side=r.pelvic_drop_side,
             trunk_lean_deg=_num(r.trunk_lean_deg, 2), trunk_lean_side=r.trunk_lean_side,
             knee_sep_ratio=_num(r.knee_sep_ratio), hip_verdict=r.verdict("hip"),
             faults=[f.as_dict() for f in r.faults])
    return d


def to_dict(a: Analysis, *, video: dict, model: dict) -> dict:
    """The report.json document (schema in README)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "video": video, "model": model,
        "view": a.view.value, "body_yaw_deg": _num(a.yaw_deg, 1), "exercise": a.exercise.value,
        "leg_length_px": _num(a.baseline.leg_length, 1) if a.baseline else None,
        "reps": [rep_dict(a, r) for r in a.reps],
        "faults": list(a.faults),
        "recommendations": list(a.recommendations),
        "warnings": list(a.warnings),
        "safety": ex.SAFETY,
        "limits": ex.MEASUREMENT_LIMITS,
        "settings": _settings(a),
    }


def _settings(a: Analysis) -> dict:
    import dataclasses
    return json.loads(json.dumps(dataclasses.asdict(a.settings), default=float))


REP_FIELDS = ["rep", "side", "start_s", "bottom_s", "end_s", "lead_leg", "verdict", "knee_valgus_deg", "fppa_deg",
              "knee_toe_medial_pct", "trusted_frames", "judged_frames", "pelvic_drop_deg", "pelvic_drop_side",
              "trunk_lean_deg", "trunk_lean_side", "knee_sep_ratio", "faults"]


def reps_csv(report: dict) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, REP_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in report["reps"]:
        for s in SIDES:
            w.writerow({"rep": r["index"], "side": s, "start_s": r["start_s"], "bottom_s": r["bottom_s"],
                        "end_s": r["end_s"], "lead_leg": r.get("lead_leg", ""), "verdict": r[s]["verdict"],
                        **{k: r[s][k] for k in ("knee_valgus_deg", "fppa_deg", "knee_toe_medial_pct",
                                                "trusted_frames", "judged_frames")},
                        "pelvic_drop_deg": r["pelvic_drop_deg"], "pelvic_drop_side": r["pelvic_drop_side"],
                        "trunk_lean_deg": r["trunk_lean_deg"], "trunk_lean_side": r["trunk_lean_side"],
                        "knee_sep_ratio": r["knee_sep_ratio"],
                        "faults": ";".join(f"{f['code']}:{f['severity']}" for f in r["faults"] if f["side"] == s)})
    return buf.getvalue()


def frames_csv(a: Analysis) -> str:
    """Per-frame measures; empty cells where a measure is undefined."""
    cols = ["t_s", "depth", "pelvic_drop_deg", "trunk_lean_deg", "knee_sep_ratio"]
    for s in SIDES:
        cols += [f"{s}_fppa_deg", f"{s}_knee_valgus_deg", f"{s}_knee_toe_medial_pct", f"{s}_knee_trusted"]
    m = a.metrics
    if m is None:
        return ",".join(cols) + "\n"
    data = [m.t, m.depth, m.pelvic_drop_deg, m.trunk_lean_deg, m.knee_sep_ratio]
    for i in (0, 1):
        data += [m.fppa_deg[:, i], a.measure[:, i], 100 * m.knee_toe_dev[:, i], m.knee_trusted[:, i].astype(float)]
    arr = np.column_stack(data)
    buf = io.StringIO()
    buf.write(",".join(cols) + "\n")
    fmt = ["%.4f"] + ["%.4f"] * 4 + ["%.2f", "%.2f", "%.2f", "%d"] * 2
    text = io.StringIO()
    np.savetxt(text, arr, fmt=fmt, delimiter=",")
    buf.write(text.getvalue().replace("nan", ""))
    return buf.getvalue()


def summary_text(report: dict, out_dir: Path | None = None, *, color: bool = False) -> str:
    """A summary a person reads in ten seconds."""
    def c(s: str, code: str) -> str:
        return f"\033[{code}m{s}\033[0m" if color else s
    sev_col = {"ok": "32", "mild": "33", "moderate": "33;1", "severe": "31;1", "n/a": "2"}
    v = report["video"]
    lines = [c(f"knee-cv: {Path(v['path']).name}", "1"),
             f"  {report['exercise'].replace('_', ' ')}, {report['view']} view, {len(report['reps'])} reps, "
             f"{v['duration_s']:.1f} s at {v['fps']:.1f} fps, model {report['model']['name']}"]
    for w in report["warnings"]:
        lines.append(c(f"  ! {w}", "33"))
    if report["reps"]:
        lines.append("")
        lines.append("  rep  bottom   left knee   right knee  hip         trunk lean")
        for r in report["reps"]:
            lead = f"  (lead: {r['lead_leg']})" if r.get("lead_leg") else ""
            cells = [r["left"]["verdict"], r["right"]["verdict"], r["hip_verdict"]]
            lean = "n/a" if r["trunk_lean_deg"] is None else \
                f"{r['trunk_lean_deg']:.0f} deg" + (f" to {r['trunk_lean_side']}" if r["trunk_lean_deg"] >= 0.5 else "")
            lines.append(f"  {r['index']:>3}  {r['bottom_s']:5.1f}s   " + "  ".join(
                c(f"{x:<10}", sev_col.get(x, "0")) for x in cells) + (f"  {lean:<15}" + lead).rstrip())
    if report["faults"]:
        lines.append("")
        lines.append("  Faults:")
        for f in report["faults"]:
            who = f"{ex.FAULT_WORDS[f['code']]} ({f['side']} worse)" if f["code"] == "asymmetry" else \
                f"{f['side']} {ex.FAULT_WORDS[f['code']]}"
            lines.append(f"    - {who}: {f['count']} of {f['of_reps']} reps, worst {f['severity']} "
                         f"({f['worst_value']:+.1f} {f['unit']}; flagged from {f['threshold']:+.1f})")
        lines.append("")
        lines.append("  Train:")
        seen: set[str] = set()
        for rec in report["recommendations"]:
            for item in [e["name"] + f" ({e['dose']})" for e in rec["exercises"][:3]] + \
                    [f'cue: "{cue["cue"]}"' for cue in rec["cues"][:2]]:
                if item not in seen:
                    seen.add(item)
                    lines.append(f"    - {item}")
    elif report["reps"]:
        lines.append("")
        lines.append(c("  No faults found in the judged reps.", "32"))
    lines.append("")
    lines.append("  " + report["safety"])
    lines.append("  " + report["limits"])
    if out_dir is not None:
        lines.append("")
        lines.append(f"  Results: {out_dir}/")
        shown = {"report.pdf": "PDF report", "annotated.mp4": "annotated video",
                 "annotated_mp4v.mp4": "annotated video (mp4v fallback)", "report.json": "all numbers"}
        for name in report.get("outputs", []):
            if name in shown:
                lines.append(f"    {shown[name]:<32} {Path(out_dir) / name}")
    return "\n".join(lines)
