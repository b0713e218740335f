"""Live loop benchmark (not a test): frames per second and capture-to-overlay latency at 640x480, full model.

    .venv/bin/python benchmarks/bench_live.py [VIDEO]

The clip is scaled and padded to 640x480 and replayed (1) in real time, as a 30 fps camera would deliver
it, and (2) as fast as the loop can consume frames, which is the loop's own ceiling. Latency is measured
from the moment a frame is available to the moment its overlay is drawn. Each mode runs without and
with ``--voice`` (speech synthesized in its thread into WAV files, so no audio device is needed).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT.parent / "shared" / "sample_videos" / "squat_front_valgus_then_good.mp4"


def main() -> None:
    import imageio_ffmpeg

    from knee_cv.live_loop import run_live

    src = Path(sys.argv[1]) if len(sys.argv) > 1 else CLIP
    with tempfile.TemporaryDirectory() as tmp:
        vga = Path(tmp) / "vga.mp4"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(src), "-vf",
                        "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,fps=30",
                        "-c:v", "libx264", "-crf", "18", str(vga)], check=True)
        from knee_cv.voice import Voice

        for realtime, voice in ((True, False), (True, True), (False, False), (False, True)):
            speech = Path(tmp) / f"speech{int(realtime)}{int(voice)}"
            speech.mkdir()
            v = Voice(to_files=speech) if voice else False  # synthesized as for real, written instead of played
            r = run_live(source=vga, out=Path(tmp) / f"out{int(realtime)}{int(voice)}", headless=True, pdf=False,
                         realtime=realtime, voice=v)
            st = r.report["live"]["stats"]
            mode = ("real time (30 fps source)" if realtime else "unpaced (loop ceiling)") + \
                (f", --voice ({len(v.spoken)} phrases spoken)" if voice else "")
            print(f"{mode}: {st['fps']} fps, {st['frames_processed']} frames, {st['frames_dropped']} dropped, "
                  f"latency median {st['latency_ms']['median']} ms, p95 {st['latency_ms']['p95']} ms "
                  f"(targets: >= 30 fps sustained, median < 50 ms); reps {len(r.report['live']['reps'])}")


if __name__ == "__main__":
    main()
