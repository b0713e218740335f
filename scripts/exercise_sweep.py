"""Which exercise is read from the mannequin's squat, lunge and single-leg squat, turned and filmed from two heights.

    .venv/bin/python scripts/exercise_sweep.py [--quick]

Each demo preset's first, clean rep twice (the squat 0.42 leg lengths deep, the lunge 0.30, the single-leg
squat 0.22: :meth:`knee_cv.mannequin.Scenario.preset`) is rendered with the body turned by each angle from the
front (+ = toward the subject's left) and from behind (180 + the angle), with the camera at knee-to-hip height
(0.75 m, level) and at chest height (1.5 m, tilted down 11.3 degrees), and analyzed whole (MediaPipe included)
without naming the exercise. The table shows the exercise read: ``squat``, ``lunge``, ``single`` (single-leg
squat), ``-`` (no reps). About 10 minutes.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

#: Turns from the front, then from behind (180 + the angle), degrees.
TURNS = (0, 20, -20, 30, -30, 45, -45, 60, -60)
BACK_TURNS = (0, 20, -20, 45, -45)
#: (camera height m, downward tilt deg): the preset, and a phone held at chest height aimed at the body.
CAMERAS = ((0.75, 0.0), (1.5, 11.3))
SHORT = {"squat": "squat", "lunge": "lunge", "single_leg_squat": "single", "unknown": "-"}


def read(exercise: str, turn: float, height: float, tilt: float, tmp: Path) -> str:
    """The exercise read from one render."""
    from knee_cv.api import analyze
    from knee_cv.demo import render_video
    from knee_cv.mannequin import Scenario
    from knee_cv.reps import Exercise

    base = Scenario.preset(Exercise(exercise))
    sc = dataclasses.replace(base, reps=base.reps[:1] * 2, body_turn_deg=turn, camera_height=height,
                             camera_pitch_deg=tilt)
    video = render_video(sc, tmp / f"{exercise}_{turn}_{height}.mp4")
    a = analyze(video, out_dir=tmp / "out", progress=False, pdf=False, annotate=False).analysis
    return SHORT[a.exercise.value] if a.reps else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="the camera at 0.75 m only")
    args = ap.parse_args(argv)
    turns = [float(t) for t in TURNS] + [180.0 + t for t in BACK_TURNS]
    heads = [f"{t:+.0f}" for t in TURNS] + [f"back {t:+.0f}" for t in BACK_TURNS]
    print("| rendered | camera height (m) | " + " | ".join(heads) + " | read right |")
    print("|---|---|" + "---|" * (len(heads) + 1))
    with tempfile.TemporaryDirectory() as tmp:
        for exercise in ("squat", "lunge", "single_leg_squat"):
            for height, tilt in CAMERAS[:1] if args.quick else CAMERAS:
                cells = [read(exercise, t, height, tilt, Path(tmp)) for t in turns]
                right = sum(c == SHORT[exercise] for c in cells)
                print(f"| {exercise} | {height} | " + " | ".join(cells) + f" | {right} of {len(cells)} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
