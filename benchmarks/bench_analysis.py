"""Throughput benchmark (not a test): ratios against baselines measured in the same run.

    .venv/bin/python benchmarks/bench_analysis.py [VIDEO]

1. pose-only baseline: the same model on pre-decoded frames, in this process;
2. whole analysis (decode, pose, metrics, report; no PDF, no video) on the same clip;
3. PDF time as a share of the analysis time of a 10-rep clip, both from the same ``analyze`` run;
4. the numpy core on one hour of 60 fps landmarks (216,000 frames).
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
CLIPS = ROOT.parent / "shared" / "sample_videos"


def pose_only_fps(video: Path) -> float:
    from knee_cv import models
    from knee_cv.pose import PoseEstimator
    from knee_cv.video import read_frames

    frames = [f for f in read_frames(video)]
    with PoseEstimator(models.resolve("full")) as est:
        t0 = time.perf_counter()
        for f in frames:
            est.process(f.image, f.t)
        return len(frames) / (time.perf_counter() - t0)


def analysis_fps(video: Path, out: Path) -> tuple[float, float]:
    from knee_cv.api import analyze

    t0 = time.perf_counter()
    res = analyze(video, out_dir=out, progress=False, pdf=False, annotate=False)
    dt = time.perf_counter() - t0
    return len(res.analysis.track) / dt, dt


def main() -> None:
    from knee_cv.analysis import analyze_track
    from knee_cv.api import analyze
    from knee_cv.track import PoseTrack
    from synth import squat_track

    video = Path(sys.argv[1]) if len(sys.argv) > 1 else CLIPS / "squat_front_bodyweight_good.mp4"
    with tempfile.TemporaryDirectory() as tmp:
        base = pose_only_fps(video)
        full, wall = analysis_fps(video, Path(tmp) / "a")
        print(f"{video.name}: pose-only {base:.1f} fps; whole analysis {full:.1f} fps; "
              f"ratio {full / base:.2f} (target >= 0.90)")
        res = analyze(video, out_dir=Path(tmp) / "b", progress=False, pdf=True, annotate=False)
        pdf_s = res.timings["pdf"]
        rest = sum(res.timings.values()) - pdf_s
        print(f"PDF for {len(res.report['reps'])} reps: {pdf_s:.2f} s = {100 * pdf_s / rest:.0f}% of that run's "
              f"analysis wall time {rest:.2f} s (target < 25%); stages {res.timings}")
    one = squat_track(reps=10, rep_s=2.0, fps=60.0)
    xyz = np.concatenate([one.xyz] * (216_000 // len(one) + 1))[:216_000]
    hour = PoseTrack(xyz, np.ones(xyz.shape[:2], np.float32), np.arange(216_000) / 60.0, 640, 800, 60.0)
    analyze_track(hour)  # warm-up
    t0 = time.perf_counter()
    analyze_track(hour)
    total = time.perf_counter() - t0
    t0 = time.perf_counter()
    analyze_track(hour, smooth=False)
    core = time.perf_counter() - t0
    print(f"216,000 frames: whole numpy analysis {total:.3f} s, of which without zero-phase cleaning {core:.3f} s "
          "(target < 0.2 s)")


if __name__ == "__main__":
    main()
