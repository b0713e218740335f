"""What finding a small person costs (not a test): ratios against a baseline measured in the same run.

    .venv/bin/python benchmarks/bench_zoom.py [VIDEO]

VIDEO (default: the six-rep valgus clip, 406x720) is copied with the person at a fifth of the size in a
picture of the same size (as ``tests/test_metamorphic.py``'s ``tiny``), too small for MediaPipe's detector.
Each is analyzed (no PDF, no video), alternately, best of 2: the small one takes the pose pass, the search
(:func:`knee_cv.zoom.find_person`) and a second pose pass on the crop. Then the search alone, on the 8 frames
it keeps, against the pose pass of the clip as filmed.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIPS = ROOT.parent / "shared" / "sample_videos"
TINY = "scale=trunc(iw/10)*2:trunc(ih/10)*2,pad=trunc(iw*5/2)*2:trunc(ih*5/2)*2:(ow-iw)/2:(oh-ih)/2"


def _analyze_s(video: Path, out: Path) -> tuple[float, list[str]]:
    from knee_cv.api import analyze

    t = time.perf_counter()
    result = analyze(video, out_dir=out, progress=False, pdf=False, annotate=False)
    return time.perf_counter() - t, [w.code.value for w in result.analysis.warnings]


def main() -> None:
    import imageio_ffmpeg
    import numpy as np

    from knee_cv import models
    from knee_cv.video import read_frames
    from knee_cv.zoom import SEARCH_FRAMES, find_person

    video = Path(sys.argv[1]) if len(sys.argv) > 1 else CLIPS / "squat_front_valgus_then_good.mp4"
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "small.mp4"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(video), "-vf", TINY,
                        "-c:v", "libx264", "-crf", "18", "-an", str(small)], check=True)
        times: dict[str, list[float]] = {"as filmed": [], "small": []}
        for k in range(2):
            for name, path in (("as filmed", video), ("small", small)):
                s, warned = _analyze_s(path, Path(tmp) / f"{name}{k}")
                times[name].append(s)
        base, zoomed = min(times["as filmed"]), min(times["small"])
        print(f"analyze as filmed      {base:6.2f} s   1.00x")
        print(f"analyze small          {zoomed:6.2f} s   {zoomed / base:.2f}x   warnings {warned}")
        frames = [f.image.copy() for f in read_frames(small)]
        keep = [frames[i] for i in np.linspace(0, len(frames) - 1, SEARCH_FRAMES).astype(int)]
        t = time.perf_counter()
        crop = find_person(keep, models.resolve("full"))
        search = time.perf_counter() - t
        print(f"search alone           {search:6.2f} s   {search / base:.2f}x   crop {crop}")


if __name__ == "__main__":
    main()
