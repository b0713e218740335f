"""Whole ``analyze`` with the PDF and the annotated video, against decoding plus pose estimation alone.

    .venv/bin/python benchmarks/bench_outputs.py [VIDEO] [--pairs 3]

Runs (a) ``extract_landmarks`` (decode + MediaPipe, nothing else) and (b) a full
``analyze`` writing every output, alternately, and prints the ratio b / a of each
pair and their median: the cost of everything knee-cv adds on top of the pose
model, measured side by side on this machine (default clip: the 900-frame
TV-background squat). Issue 12 target: <= 1.15. The stages printed are the
landmarks (the pose pass, with the annotated video drawn beside it in a second
process), the analysis, the PDF, and the wait for the video's last frames.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT.parent / "shared" / "sample_videos" / "squat_front_people_on_tv_background.mp4"


def main() -> None:
    from knee_cv.api import analyze, extract_landmarks

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("video", nargs="?", type=Path, default=CLIP)
    ap.add_argument("--pairs", type=int, default=3)
    args = ap.parse_args()
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.pairs):
            t0 = time.perf_counter()
            extract_landmarks(args.video, progress=False)
            base = time.perf_counter() - t0
            t0 = time.perf_counter()
            r = analyze(args.video, out_dir=Path(tmp) / f"o{k}", progress=False, pdf=True, annotate=True)
            full = time.perf_counter() - t0
            ratios.append(full / base)
            stages = ", ".join(f"{s} {v:.2f} s" for s, v in r.timings.items())
            print(f"pair {k + 1}: decode+pose {base:.2f} s, analyze with PDF and video {full:.2f} s "
                  f"({stages}); ratio {full / base:.3f}")
    print(f"median ratio over {args.pairs} pairs: {statistics.median(ratios):.3f} (target <= 1.15)")


if __name__ == "__main__":
    main()
