"""An H.264 video written in segments that can each be redrawn, then joined into one mp4.

The annotated video is encoded while the pose model still runs, with verdicts that may
change when the whole clip is known; a segment whose frames turn out different is encoded
again on its own. Each segment is a raw H.264 stream that starts on a keyframe, so the
segments join by concatenation and one remux (no second encode).
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np

from .errors import OutputError
from .files import AtomicFile, media_path


def x264_params(*, fast: bool = True) -> list[str]:
    """x264 settings of every video knee-cv writes: ``ultrafast`` for annotated videos and recordings, ``veryfast``
    for renders whose exact pixels matter (the demo's truth clips: their MediaPipe readings are pinned)."""
    return ["-crf", "23", "-preset", "ultrafast" if fast else "veryfast"]


class SegmentedSink:
    """Encode BGR frames into numbered segments of ``length`` frames in ``folder``.

    Parameters
    ----------
    folder : Path
        Where the segment files go (a temporary folder the caller removes).
    fps : float
        Frame rate of the joined video.
    size : tuple of int
        ``(width, height)``, both even (the frames go to x264 as I420).
    length : int
        Frames per segment: the unit that is encoded again when its frames change.

    The encoder runs on one thread: it shares the core the pose model leaves, and one thread spends a third
    less CPU than x264's default pool for the same frames.
    """

    def __init__(self, folder: Path, fps: float, size: tuple[int, int], length: int) -> None:
        if size[0] % 2 or size[1] % 2:
            raise ValueError(f"segment size must be even, got {size}")
        self.folder, self.fps, self.size, self.length = Path(folder), float(fps), size, int(length)
        self.frames = 0  # frames written in order so far
        self._gen, self._open = None, -1

    def _path(self, seg: int) -> Path:
        return self.folder / f"seg{seg:06d}.h264"

    def _start(self, seg: int):
        import imageio_ffmpeg

        gen = imageio_ffmpeg.write_frames(media_path(self._path(seg)), self.size, fps=self.fps, codec="libx264",
                                          pix_fmt_in="yuv420p", pix_fmt_out="yuv420p", quality=None, bitrate=None,
                                          macro_block_size=2,
                                          output_params=[*x264_params(), "-threads", "1", "-f", "h264"])
        gen.send(None)
        return gen

    def _send(self, gen, frame: np.ndarray) -> None:
        try:
            gen.send(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420))
        except OSError as exc:  # ffmpeg exited: disk full, a file-size limit, killed
            raise OutputError(f"the video encoder stopped ({str(exc).splitlines()[0]}; disk full?)") from None

    def write(self, frame: np.ndarray) -> None:
        """Append the next frame (BGR, ``size``) in order."""
        seg = self.frames // self.length
        if seg != self._open:
            self._close()
            self._gen, self._open = self._start(seg), seg
        self._send(self._gen, frame)
        self.frames += 1

    def rewrite(self, seg: int, frames) -> None:
        """Encode segment ``seg`` again from ``frames`` (an iterable of its BGR frames, in order)."""
        if seg == self._open:
            self._close()
        gen = self._start(seg)
        try:
            for f in frames:
                self._send(gen, f)
        finally:
            gen.close()

    def _close(self) -> None:
        gen, self._gen, self._open = self._gen, None, -1
        if gen is not None:
            gen.close()

    def join(self, path: Path) -> Path:
        """Close the open segment and write every segment, in order, into the mp4 ``path`` atomically."""
        import imageio_ffmpeg

        self._close()
        segs = (self.frames + self.length - 1) // self.length
        stream = self.folder / "all.h264"
        with open(stream, "wb") as out:
            for k in range(segs):
                out.write(self._path(k).read_bytes())
        f = AtomicFile(path)
        try:
            cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "h264", "-framerate",
                   repr(self.fps), "-i", media_path(stream), "-c", "copy", "-movflags", "+faststart", "-f", "mp4",
                   media_path(f.tmp)]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                raise OutputError(f"{Path(path).name}: joining the video failed ({done.stderr.strip()[:200]})")
            check_frames(f.tmp, self.frames, Path(path).name)
            return f.commit()
        finally:
            f.discard()


def check_frames(tmp: Path, expected: int, name: str) -> None:
    """Read the frame count of a just-written video back before it is renamed into place: an encoder that stopped
    part-way (disk full, a file-size limit) must not leave a complete-looking video."""
    cap = cv2.VideoCapture(media_path(tmp))
    got = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else 0
    cap.release()
    if got < 0.98 * expected:
        raise OutputError(f"{name}: the video encoder wrote {got} of {expected} frames "
                          "(disk full or a file-size limit?); the video was not kept")
