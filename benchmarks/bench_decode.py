"""Decoding speed of colour-tagged phone clips (not a test): ratios against baselines measured in the same run.

    .venv/bin/python benchmarks/bench_decode.py [VIDEO]

VIDEO (default: the 72-frame iPhone overhead squat, 1080x1920, tagged Display P3) is read three ways with
:func:`knee_cv.video.read_frames`, alternately, best of 3 each:

1. the backend ``probe`` chooses (``ffmpeg`` for P3);
2. OpenCV alone, as before (it converts the P3 colours frame by frame);
3. the same frames re-tagged BT.709 (``h264_metadata`` bitstream filter, no re-encoding) through OpenCV: the
   speed the clip would have without its colour tags.

Then one whole ``analyze`` (no PDF, no video) of VIDEO against its re-tagged copy, and an iPhone-style HDR
clip (made here: HEVC Main 10, BT.2020 HLG, 3840x2160 at 60 fps, 2 s of ffmpeg's test picture) read through
the chosen backend against OpenCV alone.

Last, seeking: three frames 10, 20 and 29 s into a 30 s 1080x1920 P3 clip (made here, a keyframe each second),
as the PDF's pictures and a redrawn part of the annotated video are fetched, by the ffmpeg reader given the frame
times (it starts ffmpeg again before each) against decoding every frame up to them, and against OpenCV seeking
in the clip re-tagged BT.709.
"""
from __future__ import annotations

import dataclasses
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIPS = ROOT.parent / "shared" / "sample_videos"


def retagged(video: Path, out: Path) -> Path:
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(video), "-map", "0:v:0",
                    "-c", "copy", "-bsf:v", "h264_metadata=colour_primaries=1", str(out)], check=True)
    return out


def hdr_clip(out: Path) -> Path:
    import imageio_ffmpeg

    tags = ["-color_primaries", "bt2020", "-color_trc", "arib-std-b67", "-colorspace", "bt2020nc"]
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=3840x2160:rate=60:duration=2", "-vf",
                    "setparams=color_primaries=bt2020:color_trc=arib-std-b67:colorspace=bt2020nc", "-c:v", "libx265",
                    "-preset", "ultrafast", "-x265-params", "log-level=error", "-pix_fmt", "yuv420p10le", *tags,
                    "-tag:v", "hvc1", str(out)], check=True)
    return out


def read_s(video: Path, backend: str | None) -> tuple[float, int]:
    from knee_cv.video import probe, read_frames

    t0 = time.perf_counter()
    info = probe(video)
    if backend is not None:
        info = dataclasses.replace(info, backend=backend)
    n = sum(1 for _ in read_frames(video, info=info))
    return time.perf_counter() - t0, n


def p3_clip(out: Path, seconds: int = 30) -> Path:
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size=1080x1920:rate=30:duration={seconds}", "-c:v", "libx264", "-preset", "veryfast",
                    "-g", "30", "-pix_fmt", "yuv420p", "-bsf:v",
                    "h264_metadata=colour_primaries=12:transfer_characteristics=13:matrix_coefficients=1", str(out)],
                   check=True)
    return out


def seek_s(video: Path, want: list[int], times, max_skip: int | None = None) -> float:
    from knee_cv.video import iter_frames_at, probe

    t0 = time.perf_counter()
    got = [i for i, _ in iter_frames_at(video, want, times=times, max_skip=max_skip, backend=probe(video).backend)]
    assert got == want, got
    return time.perf_counter() - t0


def seeking(tmp: Path) -> None:
    from knee_cv.video import probe, read_frames

    p3 = p3_clip(tmp / "p3_30s.mp4")
    plain = retagged(p3, tmp / "p3_30s_bt709.mp4")
    times = [f.t for f in read_frames(p3)]
    want = [300, 600, 870]
    seek = min(seek_s(p3, want, times) for _ in range(3))
    walk = min(seek_s(p3, want, None, max_skip=10**9) for _ in range(3))
    cv = min(seek_s(plain, want, None) for _ in range(3))
    print(f"3 frames of a 30 s P3 clip ({probe(p3).backend}): {seek:.2f} s seeking by the frame times, {walk:.2f} s "
          f"decoding up to them ({seek / walk:.2f}x), {cv:.2f} s OpenCV seeking its BT.709 copy ({seek / cv:.2f}x)")


def analyze_s(video: Path, out: Path) -> float:
    from knee_cv.api import analyze

    t0 = time.perf_counter()
    analyze(video, out_dir=out, progress=False, pdf=False, annotate=False)
    return time.perf_counter() - t0


def main() -> None:
    from knee_cv.video import probe

    video = Path(sys.argv[1]) if len(sys.argv) > 1 else CLIPS / "overhead_squat_front_mild_valgus_right.mov"
    with tempfile.TemporaryDirectory() as tmp:
        plain = retagged(video, Path(tmp) / "bt709.mp4")
        ways = {f"chosen ({probe(video).backend})": (video, None), "OpenCV alone": (video, "opencv"),
                "re-tagged BT.709, OpenCV": (plain, None)}
        best = {k: min(read_s(v, b) for _ in range(3)) for k, (v, b) in ways.items()}
        base = best["re-tagged BT.709, OpenCV"][0]
        for k, (s, n) in best.items():
            print(f"{k:28s} {n} frames in {s:.2f} s ({n / s:.0f} frames/s): {s / base:.2f}x the re-tagged copy")
        a, b = analyze_s(video, Path(tmp) / "a"), analyze_s(plain, Path(tmp) / "b")
        print(f"whole analyze: {a:.1f} s against {b:.1f} s re-tagged: {a / b:.2f}x")
        hdr = hdr_clip(Path(tmp) / "hdr.mov")
        (c, n), (o, _) = (min(read_s(hdr, b) for _ in range(2)) for b in (None, "opencv"))
        print(f"4K60 HLG HEVC: {n} frames in {c:.2f} s ({n / c:.0f} frames/s, {probe(hdr).backend}) against "
              f"{o:.2f} s ({n / o:.0f} frames/s) through OpenCV alone: {c / o:.2f}x")
        seeking(Path(tmp))


if __name__ == "__main__":
    main()
