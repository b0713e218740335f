"""Verdicts against the labels of the real clips in ../shared/sample_videos (MANIFEST.csv).

    .venv/bin/python scripts/accuracy_real.py [--clips DIR] [--cache DIR] [--mirror]

Every labelled clip is analyzed (landmarks are cached in ``--cache``, so a rerun
after a threshold change takes seconds). Per knee, a clip counts as flagged when
``knee_valgus`` was flagged on at least one judged rep of that knee, and as not
judged when no rep judged that knee. Labels ``clear`` are positives and ``none``
negatives; ``mild``, ``mixed`` and ``unclear`` are listed but not scored (the
``mixed`` clip is scored as two parts from its note: reps 1-3 clear, reps 4-6 none). The not-judged rate
counts only knees filmed from the front or back; side and oblique views are not judged by design.
The view is right when report.json's ``view_class`` is the labelled one: front or back, and
oblique when most reps were turned beyond the judged range. The exercise is right when report.json's
``exercise`` is the one MANIFEST.csv names (a lunge, a single-leg squat, else a squat).

``--mirror`` runs the same clips flipped left to right (ffmpeg ``hflip``, written once into ``--cache``), with
the left and right labels swapped: a person filmed in a mirror. It prints their table, then how the knee-reps
judged both ways compare (the left knee of a flipped rep is the right knee as filmed): how many changed their
call (flagged or not) and by how much the measure moved. MediaPipe is not mirror-symmetric, so this measures
the model's share of the measure's error on real people, and a left/right mix-up anywhere in the pipeline
would show as changed calls.
"""
from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from pathlib import Path

import numpy as np

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


def _flagged(rep: dict, side: str) -> bool:
    """``knee_valgus`` was flagged on this rep's ``side`` knee."""
    return any(f["code"] == "knee_valgus" and f["side"] == side for f in rep["faults"])


def knee_call(report: dict, side: str, reps=None) -> str:
    """flagged | clean | not judged, over the given rep indices (all by default)."""
    rows = [r for r in report["reps"] if reps is None or r["index"] in reps]
    judged = [r for r in rows if r[side]["judged"]]
    if not judged:
        return "not judged"
    return "flagged" if any(_flagged(r, side) for r in judged) else "clean"


def expected_exercise(text: str) -> str:
    """The exercise as report.json names it, from MANIFEST.csv's free-text ``exercise`` column."""
    text = text.lower()
    return "single_leg_squat" if "single" in text else "lunge" if "lunge" in text else "squat"


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
    views_right = exercises_right = 0
    for name, d in results.items():
        row, rep = d["row"], d["report"]
        got_view = view_class(rep)
        views_right += got_view == row["view_class"]
        exercises_right += rep["exercise"] == expected_exercise(row["exercise"])
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
        lines.append(f"| {name} | {row['view_class']} | {got_view} | {expected_exercise(row['exercise'])} | "
                     f"{rep['exercise']} | {'; '.join(calls)} |")
    return lines, {"cells": cells, "views_right": views_right, "exercises_right": exercises_right,
                   "clips": len(results)}


def table(lines: list[str], s: dict) -> str:
    out = ["| knee | clips scored | sensitivity | specificity | front/back views not judged |", "|---|---|---|---|---|"]
    for side, c in s["cells"].items():
        sens = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else float("nan")
        spec = c["tn"] / (c["tn"] + c["fp"]) if c["tn"] + c["fp"] else float("nan")
        out.append(f"| {side} | {c['scored']} | {sens:.2f} ({c['tp']}/{c['tp'] + c['fn']}) | "
                   f"{spec:.2f} ({c['tn']}/{c['tn'] + c['fp']}) | {c['unjudged'] / max(c['scored'], 1):.2f} "
                   f"({c['unjudged']}) |")
    out.append(f"\nView right on {s['views_right']} of {s['clips']} clips; exercise right on {s['exercises_right']} "
               f"of {s['clips']}.\n")
    out += ["| clip | labelled view | reported view | exercise | reported exercise | knee calls (label: call) |",
            "|---|---|---|---|---|---|"] + lines
    return "\n".join(out)


#: A flipped clip's rep is the same rep as filmed when their bottoms are this close, seconds.
MATCH_S = 0.4


def mirrored_clips(clips: Path, out: Path) -> Path:
    """Every clip of ``clips`` flipped left to right into ``out`` (encoded once, then reused), with a MANIFEST.csv
    whose left and right labels are swapped."""
    import imageio_ffmpeg

    out.mkdir(parents=True, exist_ok=True)
    rows = list(csv.DictReader(open(clips / "MANIFEST.csv")))
    for row in rows:
        dst = out / row["file"]
        if not dst.is_file():
            part = dst.with_name(f"{dst.stem}.part{dst.suffix}")
            subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(clips / row["file"]),
                            "-vf", "hflip", "-an", "-fps_mode", "passthrough", "-c:v", "libx264", "-preset",
                            "veryfast", "-crf", "16", "-pix_fmt", "yuv420p", str(part)], check=True)
            part.rename(dst)
        row["valgus_left"], row["valgus_right"] = row["valgus_right"], row["valgus_left"]
    with open(out / "MANIFEST.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return out


def mirror_agreement(plain: dict[str, dict], flipped: dict[str, dict]) -> str:
    """How the knee-reps judged both as filmed and flipped compare: reps matched by their bottom's time, the
    flipped clip's right knee against the filmed left knee."""
    changed, moved = [], []
    for name, d in plain.items():
        others = flipped[name]["report"]["reps"]
        for rep in d["report"]["reps"]:
            twin = min(others, key=lambda r: abs(r["bottom_s"] - rep["bottom_s"]), default=None)
            if twin is None or abs(twin["bottom_s"] - rep["bottom_s"]) > MATCH_S:
                continue
            for side, other in (("left", "right"), ("right", "left")):
                a, b = rep[side]["knee_valgus_deg"], twin[other]["knee_valgus_deg"]
                if not (rep[side]["judged"] and twin[other]["judged"]) or a is None or b is None:
                    continue
                moved.append((abs(a - b), f"{name} rep {rep['index']} {side}: {a:+.1f} / {b:+.1f}"))
                if _flagged(rep, side) != _flagged(twin, other):
                    changed.append(moved[-1][1])
    if not moved:
        return "Flipped left to right: no knee-rep was judged both ways."
    size = np.array([m for m, _ in moved])
    worst = max(moved)[1]
    return (f"Flipped left to right: {len(moved)} knee-reps judged both ways, {len(changed)} changed their call"
            f"{(': ' + '; '.join(changed)) if changed else ''}. The measure moved by {np.median(size):.1f} deg "
            f"(median), {np.percentile(size, 90):.1f} (90th percentile), at most {size.max():.1f} ({worst}).")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", type=Path, default=CLIPS)
    ap.add_argument("--cache", type=Path, default=ROOT / ".knee-cv-cache" / "real")
    ap.add_argument("--mirror", action="store_true", help="also run every clip flipped left to right")
    args = ap.parse_args(argv)
    if not (args.clips / "MANIFEST.csv").is_file():
        print(f"no MANIFEST.csv in {args.clips}", file=sys.stderr)
        return 2
    plain = analyze_all(args.clips, args.cache)
    print(table(*score(plain)))
    if args.mirror:
        flipped = analyze_all(mirrored_clips(args.clips, args.cache / "mirrored" / "clips"), args.cache / "mirrored")
        print("\n## The same clips flipped left to right (labels swapped)\n")
        print(table(*score(flipped)))
        print("\n" + mirror_agreement(plain, flipped))
    return 0


if __name__ == "__main__":
    sys.exit(main())
