"""Peak memory of a whole ``analyze`` (PDF and annotated video written) against video length and frame size.

    .venv/bin/python benchmarks/bench_memory.py [VIDEO]

Runs, each in a fresh process, ``knee-cv analyze`` on (1) a clip, (2) the same clip
four times over (concatenated without re-encoding), and (3) 3 s of it scaled to
4000x4000, and prints each run's peak resident memory (the process, and the largest of
its children: ffmpeg, or the process drawing the annotated video). Memory should stay
flat with length (frames are streamed, never held) and under 1.5 GB at 4000x4000 (issue 15).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT.parent / "shared" / "sample_videos" / "squat_front_people_on_tv_background.mp4"

CHILD = """
import resource, sys
from knee_cv.api import analyze
analyze(sys.argv[1], out_dir=sys.argv[2], progress=False)
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(own, kids)
"""


def _peak_mb(video: Path, out: Path) -> tuple[float, float]:
    res = subprocess.run([sys.executable, "-c", CHILD, str(video), str(out)], capture_output=True, text=True)
    if res.returncode:
        raise SystemExit(f"{video.name}: analyze failed: {res.stderr.strip().splitlines()[-1:]}")
    own, kids = map(int, res.stdout.split()[-2:])
    return own / 1024, kids / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    import imageio_ffmpeg

    ff = imageio_ffmpeg.get_ffmpeg_exe()
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else CLIP
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "list.txt").write_text("".join(f"file '{src}'\n" for _ in range(4)))
        four = tmp / "four.mp4"
        subprocess.run([ff, "-v", "error", "-f", "concat", "-safe", "0", "-i", str(tmp / "list.txt"), "-c", "copy",
                        str(four)], check=True)
        big = tmp / "big.mp4"
        subprocess.run([ff, "-v", "error", "-t", "3", "-i", str(src), "-vf", "scale=4000:4000", "-c:v", "libx264",
                        "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(big)], check=True)
        rows = []
        for name, video in (("clip", src), ("clip x4", four), ("4000x4000, 3 s", big)):
            own, kids = _peak_mb(video, tmp / name.replace(" ", "_"))
            rows.append((name, own, kids))
            print(f"{name:<16} peak RSS: knee-cv {own:7.0f} MB, largest child {kids:6.0f} MB")
        print(f"length x4 changes knee-cv's peak by {rows[1][1] - rows[0][1]:+.0f} MB "
              f"({rows[1][1] / rows[0][1]:.2f}x); target: flat")
        print(f"4000x4000: {rows[2][1]:.0f} MB + {rows[2][2]:.0f} MB child; target < 1500 MB")


if __name__ == "__main__":
    main()
