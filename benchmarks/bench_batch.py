"""Batch throughput (not a test): 1 worker against 2 workers on the sample videos, measured in the same run,
and the time to re-analyze the whole folder from cached landmarks after a threshold change.

    .venv/bin/python benchmarks/bench_batch.py [VIDEO_DIR]
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIPS = ROOT.parent / "shared" / "sample_videos"


def main() -> None:
    from knee_cv.batch import run_batch
    from knee_cv.settings import load_settings

    src = Path(sys.argv[1]) if len(sys.argv) > 1 else CLIPS
    with tempfile.TemporaryDirectory() as tmp:
        walls = {}
        for workers in (1, 2):
            t0 = time.perf_counter()
            s = run_batch([str(src)], out=Path(tmp) / f"w{workers}", workers=workers, pdf=False, annotate=False,
                          progress=False)
            walls[workers] = time.perf_counter() - t0
            frames = sum(len(v.get("reps", [])) for v in s["videos"])
            print(f"{workers} worker(s): {len(s['videos'])} videos in {walls[workers]:.1f} s ({frames} reps)")
        print(f"throughput ratio 2 workers / 1 worker: {walls[1] / walls[2]:.2f}x (2 cores; MediaPipe already "
              "uses a second thread, so less than 2x is expected)")
        cfg = Path(tmp) / "strict.toml"
        cfg.write_text("[faults.valgus_squat]\nmild = -5.0\nmoderate = 5.0\nsevere = 15.0\n")
        t0 = time.perf_counter()
        s = run_batch([str(src)], out=Path(tmp) / "w2", workers=2, pdf=False, annotate=False, progress=False,
                      settings=load_settings(cfg))
        again = time.perf_counter() - t0
        statuses = sorted({v["status"] for v in s["videos"]})
        print(f"re-analysis with new thresholds from cached landmarks: {again:.1f} s for {len(s['videos'])} videos "
              f"({again / walls[2]:.2f}x of the first 2-worker pass; statuses {statuses})")


if __name__ == "__main__":
    main()
