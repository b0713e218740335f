"""The code's shape: sizes, and fault codes and severities spelled only in their enums."""
from __future__ import annotations

import ast
import re
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "knee_cv"


def test_no_function_over_60_lines_and_no_class_over_150():
    long = []
    for f in sorted(PKG.rglob("*.py")):
        for n in ast.walk(ast.parse(f.read_text())):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                size, limit = n.end_lineno - n.lineno + 1, 150 if isinstance(n, ast.ClassDef) else 60
                if size > limit:
                    long.append(f"{f.name}:{n.lineno} {n.name} ({size} lines)")
    assert not long, long


def test_fault_codes_and_severities_are_spelled_only_in_their_enums():
    codes = re.compile(r"""["'](knee_valgus|knee_varus|hip_drop|asymmetry|mild|moderate|severe|side_view|knee_hidden"""
                       r"""|too_few_frames|rear_leg|free_leg)["']""")
    found = [f"{f.name}:{k + 1}: {line.strip()}" for f in sorted(PKG.rglob("*.py")) if f.name != "codes.py"
             for k, line in enumerate(f.read_text().splitlines()) if codes.search(line)]
    assert not found, found


def test_report_schema_lists_every_code_the_code_can_write():
    """The schema's enums are the code's enums: a report with a newer warning or reason must still validate
    (the schema had lost video_timing)."""
    from knee_cv.codes import NotJudged, ViewClass, WarningCode
    from knee_cv.schema import report_schema

    enums = []

    def walk(o):
        if isinstance(o, dict):
            if isinstance(o.get("enum"), list):
                enums.append([e for e in o["enum"] if e is not None])
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(report_schema())
    reasons = [e for e in enums if "knee_hidden" in e]
    codes = [e for e in enums if "video_truncated" in e]
    assert reasons and all(e == [m.value for m in NotJudged] for e in reasons)
    assert codes and all(e == [m.value for m in WarningCode] for e in codes)
    views = [e for e in enums if "oblique_front" in e]
    assert views and all(e == [m.value for m in ViewClass] for e in views)
