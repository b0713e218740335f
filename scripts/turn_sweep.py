"""Body turn read from 2D landmarks against the rendered truth, and what is judged at each turn.

    .venv/bin/python scripts/turn_sweep.py [--quick] [--back]

Renders the mannequin doing a clean squat and a squat with 10 cm of valgus on both
knees, turned by a known angle (0, +-10, +-20, +-30, +-45, +-60, +-70, +-90 degrees;
+ = toward the subject's left) and seen from three camera heights, runs the whole
pipeline (MediaPipe included) and prints a markdown table: the turn knee-cv reads,
its error, each rep's turn (the one its knees are judged with), the view, how many knee-reps
were judged (and how many were not because their verdict changed with the turn taken out), and
whether each rep was flagged for valgus. ``--back`` films the mannequin from behind (turned 180
degrees, then by 0, +-10, +-20, +-30) and reads each rep's turn and the clip's view class instead.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

TURNS = (0, 10, -10, 20, -20, 30, -30, 45, -45, 60, -60, 70, -70, 90, -90)
BACK_TURNS = (0, 10, -10, 20, -20, 30, -30)  # from straight behind
HEIGHTS = (0.6, 0.75, 0.9)


def run(turn: float, height: float, tmp: Path) -> dict:
    from knee_cv.api import analyze
    from knee_cv.demo import render_video
    from knee_cv.mannequin import RepSpec, Scenario

    sc = Scenario(reps=(RepSpec(), RepSpec((10.0, 10.0))), body_turn_deg=turn, camera_height=height)
    video = render_video(sc, tmp / f"turn_{turn}_{height}.mp4")
    a = analyze(video, out_dir=tmp / "out", progress=False, pdf=False, annotate=False).analysis
    judged = sum(v.judged for r in a.reps for v in r.knee_verdicts)
    turned = sum(v.reason is not None and v.reason.value == "turned" for r in a.reps for v in r.knee_verdicts)
    flagged = [any(f.code.value == "knee_valgus" for f in r.faults) for r in a.reps]
    return {"turn": turn, "height": height, "read": a.yaw_deg, "view": a.view.value, "reps": len(a.reps),
            "judged": judged, "turned": turned, "flagged": flagged, "class": a.view_class.value,
            "rep_turns": [r.view.turn_deg for r in a.reps]}


def _flags(r: dict) -> tuple[str, str]:
    return tuple(("yes" if f else "no") for f in r["flagged"]) if r["reps"] == 2 else ("?", "?")


def back_sweep(heights, turns, tmp: Path) -> None:
    """The table for a body filmed from behind: each rep's turn read, against the turn from straight behind."""
    print("| turn from behind (deg) | camera height (m) | rep turns read (deg) | largest error (deg) | view | "
          "knee-reps judged | not judged: turned | clean rep flagged | valgus rep flagged |")
    print("|---|---|---|---|---|---|---|---|---|")
    for h in heights:
        for t in turns:
            r = run(180.0 + t, h, tmp)
            err = max((x - t for x in r["rep_turns"]), key=abs, default=float("nan"))
            clean, valgus = _flags(r)
            reads = " / ".join(f"{x:.1f}" for x in r["rep_turns"])
            print(f"| {t} | {h} | {reads} | {err:+.1f} | {r['class']} | {r['judged']} of {2 * r['reps']} | "
                  f"{r['turned']} | {clean} | {valgus} |", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one camera height, fewer turns")
    ap.add_argument("--back", action="store_true", help="film the mannequin from behind")
    args = ap.parse_args(argv)
    heights = (0.75,) if args.quick else HEIGHTS
    if args.back:
        with tempfile.TemporaryDirectory() as tmp:
            back_sweep(heights, (0, 20, -20) if args.quick else BACK_TURNS, Path(tmp))
        return 0
    turns = (0, 20, 45, 70, 90) if args.quick else TURNS
    print("| turn (deg) | camera height (m) | turn read (deg) | error (deg) | rep turns read (deg) | view | reps | "
          "knee-reps judged | not judged: turned | clean rep flagged | valgus rep flagged |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for h in heights:
            for t in turns:
                r = run(t, h, Path(tmp))
                err = r["read"] - t
                clean, valgus = _flags(r)
                reps = " / ".join(f"{x:.1f}" for x in r["rep_turns"])
                print(f"| {t} | {h} | {r['read']:.1f} | {err:+.1f} | {reps} | {r['view']} | {r['reps']} | "
                      f"{r['judged']} of {2 * r['reps']} | {r['turned']} | {clean} | {valgus} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
