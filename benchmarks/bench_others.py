"""What looking for someone else beside the person costs (not a test): a ratio against the analysis it is part of,
measured in the same run.

    .venv/bin/python benchmarks/bench_others.py [VIDEO]

VIDEO (default: the good bodyweight clip, 1280x720, 17 s) is analyzed (no PDF, no video), best of 3; that
includes the look (:func:`knee_cv.others.find_others`: MediaPipe in IMAGE mode, up to 3 people, on 8 frames kept
during the pose pass). Then the look alone on the same 8 frames, best of 3.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIPS = ROOT.parent / "shared" / "sample_videos"


def main() -> None:
    import numpy as np

    from knee_cv import models
    from knee_cv.api import analyze
    from knee_cv.others import find_others, sampler
    from knee_cv.video import probe, read_frames

    video = Path(sys.argv[1]) if len(sys.argv) > 1 else CLIPS / "squat_front_bodyweight_good.mp4"
    whole = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(3):
            t = time.perf_counter()
            result = analyze(video, out_dir=Path(tmp) / str(k), progress=False, pdf=False, annotate=False)
            whole.append(time.perf_counter() - t)
    info, raw = probe(video), result.analysis.raw
    kept = sampler(info.frames)
    for fr, xyz in zip(read_frames(video), raw.xyz):
        kept.update(fr.image, xyz)
    look, model = [], models.resolve("full")
    for _ in range(3):
        t = time.perf_counter()
        found = find_others(kept, model, info.width, info.height)
        look.append(time.perf_counter() - t)
    base = min(whole)
    print(f"analyze (pose pass and all)  {base:6.2f} s   1.00x   ({len(raw)} frames)")
    print(f"the look alone               {min(look):6.2f} s   {min(look) / base:.3f}x   ({len(kept.images)} frames; "
          f"someone else: {found is not None}; {np.round(1000 * min(look) / len(kept.images))} ms a frame)")


if __name__ == "__main__":
    main()
