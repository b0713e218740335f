"""The demo scenarios filmed from outside the recommended camera height: each rep's faults against the rendered
truth, whole pipeline (MediaPipe included).

    .venv/bin/python scripts/camera_sweep.py [--quick] [--distance]

"How to film" asks for the camera at knee-to-hip height (50-90 cm), level; people at home put the phone on the
floor, on a table or hold it at chest or eye height, tilted toward the body. Each row renders a preset (the
squat: clean reps, 10 cm of valgus on both knees and on the right, a 12 deg hip drop; the lunge and the
single-leg squat likewise), with the camera at the given distance and height, tilted so that its axis meets
the body at 0.9 m (+ = tilted down), and prints whether the faults found are exactly the rendered ones; if not,
which reps differ, and the exercise read when it is not the rendered one. The true 2D FPPA of the clean reps
(exact projected joints) shows what the camera alone does to the measure. ``--distance`` films them instead
from nearer, at 0.75 m and level, with a wider lens so the body fills the picture as at 3 m (the focal length
in pixels scaled with the distance): a phone in a small room.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import tempfile
from pathlib import Path

#: (distance m, height m): the preset, then the phone on the floor, on a table, at chest and at eye height
PLACEMENTS = ((3.0, 0.75), (3.0, 0.3), (3.0, 1.2), (3.0, 1.5), (2.5, 1.5), (3.0, 1.8))
AIM_M = 0.9  # the height the camera is aimed at: the middle of the standing body
#: camera distances (m) for ``--distance``, at the preset's height, each with the lens that keeps the body's size
DISTANCES = (3.0, 2.0, 1.5, 1.2)


def pitch_deg(distance: float, height: float) -> float:
    """The downward tilt that aims a camera at ``height`` on the body ``distance`` away at ``AIM_M``."""
    return math.degrees(math.atan2(height - AIM_M, distance))


def _differences(check: dict) -> str:
    """The reps whose faults differ from the rendered ones, e.g. 'rep 3: + knee_valgus left'."""
    out = []
    for r in check["reps"]:
        want, got = {tuple(f) for f in r["faults_expected"]}, {tuple(f) for f in r["faults_found"]}
        diff = [f"+ {c} {s}" for c, s in sorted(got - want)] + [f"missed {c} {s}" for c, s in sorted(want - got)]
        if diff:
            out.append(f"rep {r['rep']}: " + ", ".join(diff))
    return "; ".join(out) or "-"


def row(exercise, distance: float, height: float, tmp: Path, *, same_size: bool = False) -> str:
    """One table row; ``same_size``: the focal length scaled with the distance (a wider lens nearer)."""
    from knee_cv.demo import run_demo
    from knee_cv.mannequin import Scenario

    base = Scenario.preset(exercise)
    sc = dataclasses.replace(base, camera_distance=distance, camera_height=height,
                             camera_pitch_deg=0.0 if height == 0.75 else pitch_deg(distance, height),
                             focal_px=base.focal_px * distance / base.camera_distance if same_size else base.focal_px)
    d = run_demo(scenario=sc, video_dir=tmp / "v", out_dir=tmp / exercise.value, progress=False, pdf=False,
                 annotate=False)
    s = d.check["summary"]
    clean = [max(v for v in r["peak_fppa_deg"].values()) for r in d.truth["reps"] if not r["faults"]]
    judged = sum(v["judged"] for r in d.result.report["reps"] for v in (r["left"], r["right"]))
    fmt = lambda v: "n/a" if v is None else f"{v:.1f}"  # noqa: E731
    lens = f", {sc.focal_px:.0f} px" if same_size else ""
    read = d.result.report["exercise"]
    return (f"| {exercise.value} | {distance:.1f}, {height:.2f}, {sc.camera_pitch_deg:+.1f}{lens} | "
            f"{'same' if read == exercise.value else read} | "
            f"{s['reps_true']} / {s['reps_found']} | {judged} of {2 * s['reps_found']} | "
            f"{'exact' if s['faults_exact'] else 'MISMATCH'} | {_differences(d.check)} | "
            f"{fmt(max(clean, default=None))} | {fmt(s['max_fppa_error_deg'])} | "
            f"{fmt(s['max_pelvic_drop_error_deg'])} |")


def main(argv: list[str] | None = None) -> int:
    from knee_cv.mannequin import Scenario

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the squat only")
    ap.add_argument("--distance", action="store_true", help="nearer cameras with wider lenses, at 0.75 m")
    args = ap.parse_args(argv)
    lens = ", focal length" if args.distance else ""
    print(f"| scenario | camera distance, height (m), tilt down (deg){lens} | exercise read | reps true / found "
          "| knee-reps judged | faults | differences | clean reps' true FPPA, max (deg) | FPPA error, max (deg) "
          "| pelvic drop error, max (deg) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    places = [(d, 0.75) for d in DISTANCES] if args.distance else PLACEMENTS
    with tempfile.TemporaryDirectory() as tmp:
        for ex in Scenario.PRESETS[:1] if args.quick else Scenario.PRESETS:
            for distance, height in places:
                print(row(ex, distance, height, Path(tmp), same_size=args.distance), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
