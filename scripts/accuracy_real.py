"""Verdicts against the labels of the real clips in ../shared/sample_videos (MANIFEST.csv).

    .venv/bin/python scripts/accuracy_real.py [--clips DIR] [--cache DIR]

Every labelled clip is analyzed (landmarks are cached in ``--cache``, so a rerun
after a threshold change takes seconds). Per knee, a clip counts as flagged when
``knee_valgus`` was flagged on at least one judged rep of that knee, and as not
judged when no rep judged that knee. Labels ``clear`` are positives and ``none``
negatives; ``mild``, ``mixed`` and ``unclear`` are listed but not scored (the
``mixed`` clip is scored as two parts from its note: reps 1-3 clear, reps 4-6 none). The not-judged rate
counts only knees filmed from the front or back; side and oblique views are not judged by design.
The view is right when report.json's ``view_class`` is the labelled one: front or back, and
oblique when most reps were turned beyond the judged range.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIPS = ROOT.parent / "shared" / "sample_videos"
MIXED = {"squat_front_valgus_then_good.mp4": {1: "clear", 2: "clear", 3: "clear", 4: "none", 5: "none", 6: "none"}}


def _parts(name: str, label: str) -> list[tuple[str, set | None]]:
    """(label, rep indices or None for all) for each scored part of a clip."""
    if name not in MIXED:
        return [(label, None)]
    labels = MIXED[name]
    return [(lab, {k for k, v in labels.items() if v == lab}) for lab in dict.fromkeys(labels.values())]


def view_class(report: dict) -> str:
    """The reported view as a manifest view class: report.json's ``view_class`` (front, back, side,
    oblique_front, oblique_back; :func:`knee_cv.view.view_class`)."""
    return report["view_class"]


def knee_call(report: dict, side: str, reps=None) -> str:
    """flagged | clean | not judged, over the given rep indices (all by default)."""
    rows = [r for r in report["reps"] if reps is None or r["index"] in reps]
    judged = [r for r in rows if r[side]["judged"]]
    if not judged:
        return "not judged"
    return "flagged" if any(f["code"] == "knee_valgus" and f["side"] == side for r in judged for f in r["faults"]) \
        else "clean"


def analyze_all(clips: Path, cache: Path) -> dict[str, dict]:
    from knee_cv.api import analyze

    out = {}
    for row in csv.DictReader(open(clips / "MANIFEST.csv")):
        video = clips / row["file"]
        lm = cache / video.stem / "landmarks.npz"
        res = analyze(video, from_landmarks=lm if lm.is_file() else None, out_dir=cache / video.stem,
                      progress=False, pdf=False, annotate=False)
        out[row["file"]] = {"row": row, "report": res.report}
    return out


def score(results: dict[str, dict]) -> tuple[list[str], dict]:
    lines, cells = [], {s: {"tp": 0, "fn": 0, "tn": 0, "fp": 0, "unjudged": 0, "scored": 0} for s in ("left", "right")}
    views_right = 0
    for name, d in results.items():
        row, rep = d["row"], d["report"]
        got_view = view_class(rep)
        views_right += got_view == row["view_class"]
        calls = []
        for side in ("left", "right"):
            label = row[f"valgus_{side}"]
            pairs = [(lab, knee_call(rep, side, reps)) for lab, reps in _parts(name, label)]
            for lab, call in pairs:
                if lab not in ("clear", "none"):
                    continue
                c = cells[side]
                c["scored"] += 1
                if call == "not judged":
                    c["unjudged"] += row["view_class"] in ("front", "back")
                elif lab == "clear":
                    c["tp" if call == "flagged" else "fn"] += 1
                else:
                    c["fp" if call == "flagged" else "tn"] += 1
            calls.append(f"{side} {label}: {'/'.join(c for _, c in pairs)}")
        lines.append(f"| {name} | {row['view_class']} | {got_view} | {'; '.join(calls)} |")
    return lines, {"cells": cells, "views_right": views_right, "clips": len(results)}


def table(lines: list[str], s: dict) -> str:
    out = ["| knee | clips scored | sensitivity | specificity | front/back views not judged |", "|---|---|---|---|---|"]
    for side, c in s["cells"].items():
        sens = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else float("nan")
        spec = c["tn"] / (c["tn"] + c["fp"]) if c["tn"] + c["fp"] else float("nan")
        out.append(f"| {side} | {c['scored']} | {sens:.2f} ({c['tp']}/{c['tp'] + c['fn']}) | "
                   f"{spec:.2f} ({c['tn']}/{c['tn'] + c['fp']}) | {c['unjudged'] / max(c['scored'], 1):.2f} "
                   f"({c['unjudged']}) |")
    out.append(f"\nView right on {s['views_right']} of {s['clips']} clips.\n")
    out += ["| clip | labelled view | reported view | knee calls (label: call) |", "|---|---|---|---|"] + lines
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", type=Path, default=CLIPS)
    ap.add_argument("--cache", type=Path, default=ROOT / ".knee-cv-cache" / "real")
    args = ap.parse_args(argv)
    if not (args.clips / "MANIFEST.csv").is_file():
        print(f"no MANIFEST.csv in {args.clips}", file=sys.stderr)
        return 2
    lines, s = score(analyze_all(args.clips, args.cache))
    print(table(lines, s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
