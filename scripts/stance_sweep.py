"""Stance width and toe-out against the rendered truth: what the squat verdict assumes about the feet.

    .venv/bin/python scripts/stance_sweep.py [--quick]

Renders the mannequin doing a clean squat (knees tracking exactly over the feet) and a squat with
10 cm of valgus on both knees, with the feet (in human proportion) set at several widths and turned out
by several angles, seen square-on from 3 m at 0.75 m. Runs the whole pipeline (MediaPipe included) and
prints a markdown table: the toe-out read, each rep's knee verdicts with their depth-adjusted FPPA, and
whether the verdicts are right: "yes" (no clean knee flagged, no collapsed knee called ok, the collapse
flagged), "withheld" (nothing wrong, but the collapse not judged) or "no".
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

HALF_WIDTHS = (0.10, 0.16, 0.25, 0.32)   # ankle to the body's midline, metres (hips: 0.10)
TOE_OUTS = (0, 5, 10, 15, 20, 35)        # degrees; the mannequin's default is 20
#: Feet in human proportion, heel to toe 0.24 m for a 0.88 m leg (0.27; MediaPipe reads 0.244-0.288 on the real
#: side views): the default mannequin's feet (0.33) make its toe-out read 8-15 degrees high
HUMAN_FEET = {"foot": 0.19, "heel_back": 0.05}


def _cell(rep) -> str:
    """``left / right`` verdicts of one rep with their measures, or why a knee was not judged."""
    return " / ".join(f"{v.severity.value if v.severity else 'ok'} {s.valgus_measure_deg:+.0f}" if v.judged
                      else f"not judged ({v.reason.value})" for s, v in zip(rep.sides, rep.knee_verdicts))


def run(half: float, toe_out: float, tmp: Path, feet_check: bool = True) -> str:
    from knee_cv.api import analyze
    from knee_cv.demo import render_video
    from knee_cv.mannequin import Body, RepSpec, Scenario
    from knee_cv.settings import Settings

    settings = Settings()
    if not feet_check:  # as before the feet-straight check: the depth-adjusted FPPA alone
        settings = dataclasses.replace(settings, faults=dataclasses.replace(settings.faults, straight_feet_deg=-90.0))

    body = dataclasses.replace(Body(), stance_half_width=half, toe_out_deg=toe_out, **HUMAN_FEET)
    sc = Scenario(reps=(RepSpec(), RepSpec((10.0, 10.0))), body=body)
    video = render_video(sc, tmp / f"stance_{half}_{toe_out}.mp4")
    a = analyze(video, out_dir=tmp / "out", settings=settings, progress=False, pdf=False, annotate=False).analysis
    if len(a.reps) != 2:
        return f"| {half:.2f} | {toe_out} | {a.baseline.toe_out_deg:.0f} | {len(a.reps)} reps found | | no |"
    clean, valgus = a.reps
    flagged = lambda r, s: any(f.code.value == "knee_valgus" and f.side.value == s for f in r.faults)  # noqa: E731
    # wrong: a clean knee flagged, or a collapsed knee judged and not flagged; withheld: nothing wrong, but the
    # collapse was not flagged on either knee (not judged)
    wrong = any(flagged(clean, s) for s in ("left", "right")) or any(
        v.judged and not flagged(valgus, s) for v, s in zip(valgus.knee_verdicts, ("left", "right")))
    found = any(flagged(valgus, s) for s in ("left", "right"))
    verdict = "no" if wrong else "yes" if found else "withheld"
    return (f"| {half:.2f} | {toe_out} | {a.baseline.toe_out_deg:.0f} | {_cell(clean)} | {_cell(valgus)} "
            f"| {verdict} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one stance width")
    ap.add_argument("--no-feet-check", action="store_true", help="judge as before the feet-straight check")
    args = ap.parse_args(argv)
    widths = (0.16,) if args.quick else HALF_WIDTHS
    print("| ankle to midline (m) | toe-out (deg) | toe-out read (deg) | clean rep, left / right "
          "| 10 cm valgus rep, left / right | verdicts right |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for half in widths:
            for toe_out in TOE_OUTS:
                print(run(half, toe_out, Path(tmp), not args.no_feet_check), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
