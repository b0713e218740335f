"""The numpy core against an earlier commit, side by side in one run (not a test).

    .venv/bin/python benchmarks/bench_core_vs.py [REF] [--pairs 6] [--raw]

Checks ``REF`` (default ``1a9e34f``, the commit before issue 12) out into a
temporary git worktree and times ``analyze_track`` on one hour of 60 fps
landmarks (216,000 frames, 1,636 reps) there and here, alternately, each in a
fresh process. Prints the minimum and median of each side and the ratio of the
minimums: the load of this 2-core machine moves single runs by +-20 %, so a
ratio of the medians of alternating runs is the fair comparison. ``--raw``
skips the zero-phase cleaning (identical code on both sides) to time only what
knee-cv computes from the cleaned track.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import sys, time, numpy as np
sys.path.insert(0, {src!r}); sys.path.insert(0, {src!r} + '/tests')
from knee_cv.analysis import analyze_track
from knee_cv.track import PoseTrack
from synth import squat_track
one = squat_track(reps=10, rep_s=2.0, fps=60.0)
xyz = np.concatenate([one.xyz] * (216_000 // len(one) + 1))[:216_000]
make = lambda: PoseTrack(xyz, np.ones(xyz.shape[:2], np.float32), np.arange(216_000) / 60.0, 640, 800, 60.0)
analyze_track(make(), smooth={smooth})
times = []
for _ in range(5):
    track = make()  # fresh: nothing cached from the previous run
    t0 = time.perf_counter(); analyze_track(track, smooth={smooth}); times.append(time.perf_counter() - t0)
print(min(times))
"""


def _run(src: Path, smooth: bool) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD.format(src=str(src), smooth=smooth)], check=True,
                         capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ref", nargs="?", default="1a9e34f")
    ap.add_argument("--pairs", type=int, default=6)
    ap.add_argument("--raw", action="store_true", help="skip the zero-phase cleaning")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old_src = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old_src), args.ref], check=True,
                       capture_output=True)
        try:
            old, new = [], []
            for _ in range(args.pairs):
                old.append(_run(old_src, not args.raw))
                new.append(_run(ROOT, not args.raw))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_src)], check=False,
                           capture_output=True)
    what = "numpy core without cleaning" if args.raw else "whole numpy analysis"
    print(f"{what}, 216,000 frames, {args.pairs} alternating pairs (best of 5 per process):")
    for name, xs in ((args.ref, old), ("this tree", new)):
        print(f"  {name:10s} min {min(xs):.3f} s, median {statistics.median(xs):.3f} s")
    print(f"  ratio this/{args.ref}: {statistics.median(new) / statistics.median(old):.3f} (medians; target <= 1.0)")


if __name__ == "__main__":
    main()
