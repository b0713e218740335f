"""Video decoding through the ffmpeg binary that imageio-ffmpeg ships, where OpenCV's own decoding falls short.

Two cases, each a capture with the few ``cv2.VideoCapture`` calls knee-cv makes (``read``, ``grab``, ``get``,
``set``, ``release``):

- :class:`FfmpegCapture`: a codec OpenCV's bundled FFmpeg lacks (AV1 before OpenCV 5), or a colour conversion
  it refuses; frames are timed at ``index / fps``.
- :class:`ClockedFfmpegCapture`: a clip whose colour tags make OpenCV convert every frame's colours in software
  (Display P3 or BT.2020 primaries, HDR transfers: iPhone video). OpenCV 5 reads such a 1080x1920 clip at 12-13
  frames/s where ffmpeg takes 8 ms a frame; the pixels come from ffmpeg and the frame times from OpenCV's
  ``grab()``, which decodes without converting (fast) and reads the container's own timestamps.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import re
import subprocess
from pathlib import Path

import cv2
import numpy as np

from .errors import InputError

#: Colour primaries OpenCV 5.1 converts at full speed (measured: a 1080x1920 H.264 clip re-tagged with each
#: primaries code decoded 90 frames in 0.3-0.4 s with these, 5.2-6.4 s with bt2020, film, smpte428, smpte431,
#: smpte432 or ebu3213). "unknown": untagged.
FAST_PRIMARIES = frozenset({"bt709", "bt470m", "bt470bg", "smpte170m", "smpte240m", "unknown", "reserved"})
#: Transfer characteristics OpenCV 5.1 converts slowly (the HDR ones: 5.0-5.1 s for the same 90 frames; every
#: other transfer code took 0.2-0.4 s).
SLOW_TRANSFERS = frozenset({"smpte2084", "arib-std-b67"})


@dataclasses.dataclass(frozen=True)
class ColourTags:
    """A video stream's colour description as ffmpeg names it (``"unknown"`` where the stream leaves it out)."""

    matrix: str = "unknown"
    primaries: str = "unknown"
    transfer: str = "unknown"

    @property
    def slow_in_opencv(self) -> bool:
        """OpenCV would convert this stream's colours frame by frame in software (see :data:`FAST_PRIMARIES`)."""
        return self.primaries not in FAST_PRIMARIES or self.transfer in SLOW_TRANSFERS


#: ffmpeg's stream line, e.g. ``Video: h264 (High) (avc1 / 0x31637661), yuvj420p(pc, smpte170m/smpte432/bt709,
#: progressive), 1080x1920``: matrix/primaries/transfer, or one name when all three agree.
_PIX_FMT = re.compile(r"Video: .*?, \w+\(([^)]*)\)")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_NOT_COLOUR = frozenset({"tv", "pc", "progressive", "top first", "bottom first", "top coded first (swapped)",
                         "bottom coded first (swapped)", "left", "center", "topleft", "top", "bottomleft", "bottom"})


def parse_colour_tags(header: str) -> ColourTags:
    """The first video stream's :class:`ColourTags` in ffmpeg's description of a file (its stderr)."""
    m = _PIX_FMT.search(header)
    if not m:
        return ColourTags()
    for part in (p.strip() for p in m.group(1).split(",")):
        names = part.split("/")
        if len(names) == 3 and all(_NAME.match(n) for n in names):
            return ColourTags(*names)
        if part not in _NOT_COLOUR and _NAME.match(part):
            return ColourTags(part, part, part)
    return ColourTags()


def ffmpeg_header(path) -> str | None:
    """ffmpeg's description of ``path`` (its stderr for ``ffmpeg -i``: container tags, streams), or ``None`` if
    the binary cannot run. About 50 ms; remembered per file version, since one analysis asks several times."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return None
    return _header(str(p), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=64)
def _header(path: str, mtime_ns: int, size: int) -> str | None:
    try:
        import imageio_ffmpeg

        return subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", path],
                              capture_output=True, text=True, errors="replace", timeout=20).stderr
    except (ImportError, RuntimeError, OSError, subprocess.SubprocessError):
        return None


def colour_tags(path) -> ColourTags:
    """``path``'s colour description as ffmpeg reads it; untagged (OpenCV decodes it) if ffmpeg cannot say."""
    header = ffmpeg_header(path)
    return parse_colour_tags(header) if header else ColourTags()


#: Every decoded frame once (no frame repeated or dropped to fit a constant rate), and colours converted with
#: the stream's matrix alone: its primaries and transfer are taken as BT.709, which changes no pixel for the
#: tags ffmpeg converts (P3, BT.2020, PQ, HLG: byte-identical output) and keeps ffmpeg 9 from refusing a rare
#: transfer it cannot convert (log100).
_OUTPUT = ["-fps_mode", "passthrough", "-vf", "setparams=color_trc=bt709:color_primaries=bt709"]


@functools.cache
def _quiet_size_notice() -> None:
    """imageio-ffmpeg warns whenever the frames it sends differ in size from the stream's: every phone video
    stored landscape with a rotation tag (ffmpeg turns it upright, as knee-cv wants). Not the user's concern."""
    logging.getLogger("imageio_ffmpeg").addFilter(lambda rec: "frame size for reading" not in rec.getMessage())


class FfmpegCapture:
    """The few ``cv2.VideoCapture`` calls knee-cv makes, served by the ffmpeg binary that imageio-ffmpeg ships.

    Frames come out upright (ffmpeg applies the rotation tag), once each and in order; seeking walks forward.
    """

    def __init__(self, path) -> None:
        import imageio_ffmpeg

        _quiet_size_notice()
        self._gen = imageio_ffmpeg.read_frames(str(path), pix_fmt="bgr24", output_params=_OUTPUT)
        try:
            meta = next(self._gen)
        except (StopIteration, RuntimeError, OSError) as exc:
            raise InputError(f"{path}: not a readable video ({exc})".splitlines()[0]) from None
        self.codec = str(meta.get("codec", "unknown"))
        self.size = tuple(meta["size"])  # of the frames ffmpeg sends, rotation applied
        self.fps = float(meta.get("fps") or 0.0)
        self.frames = int(round(float(meta.get("duration") or 0.0) * self.fps))
        self.i = 0

    def read(self) -> tuple[bool, np.ndarray | None]:
        try:
            buf = next(self._gen)
        except (StopIteration, RuntimeError, OSError):
            return False, None
        self.i += 1
        w, h = self.size
        return True, np.frombuffer(buf, np.uint8).reshape(h, w, 3).copy()

    def grab(self) -> bool:
        return self.read()[0]

    def get(self, prop: int) -> float:
        if prop == cv2.CAP_PROP_POS_MSEC:
            return 1000.0 * (self.i - 1) / self.fps if self.fps else 0.0
        return {cv2.CAP_PROP_FPS: self.fps, cv2.CAP_PROP_FRAME_COUNT: self.frames}.get(prop, 0.0)

    def set(self, prop: int, value: float) -> None:
        while prop == cv2.CAP_PROP_POS_FRAMES and self.i < value and self.grab():
            pass

    def release(self) -> None:
        self._gen.close()


class ClockedFfmpegCapture(FfmpegCapture):
    """Pixels from ffmpeg, frame times, rate and count from OpenCV (see the module's docstring).

    Both decoders yield every frame once in presentation order, so the n-th picture and the n-th
    timestamp belong together (checked on the P3 sample clips: same counts, and each ffmpeg picture is
    closest to OpenCV's picture of the same index). The stream ends where either decoder ends.
    """

    def __init__(self, path) -> None:
        super().__init__(path)
        self._clock = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not self._clock.isOpened():
            super().release()
            raise InputError(f"{path}: not a readable video (OpenCV/FFmpeg cannot open it)")

    def read(self) -> tuple[bool, np.ndarray | None]:
        if not self._clock.grab():
            return False, None
        return super().read()

    def get(self, prop: int) -> float:
        return self._clock.get(prop)

    def release(self) -> None:
        super().release()
        self._clock.release()
