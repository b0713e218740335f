"""Video decoding through the ffmpeg binary that imageio-ffmpeg ships, where OpenCV's own decoding falls short.

:class:`FfmpegCapture` serves the few ``cv2.VideoCapture`` calls knee-cv makes for two kinds of clip:

- a codec OpenCV's bundled FFmpeg lacks (AV1 before OpenCV 5), or a colour conversion it refuses;
- a clip whose colour tags make OpenCV convert every frame's colours in software (:class:`ColourTags`:
  Display P3 or BT.2020 primaries, HDR transfers: iPhone video). OpenCV 5.1 reads such a 1080x1920 clip at
  12-14 frames/s where ffmpeg takes 8 ms a frame.
"""
from __future__ import annotations

import collections
import dataclasses
import functools
import queue
import re
import subprocess
import threading
from pathlib import Path

import cv2
import numpy as np

from .errors import InputError
from .files import media_path

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
    return _header(media_path(p), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=64)
def _header(path: str, mtime_ns: int, size: int) -> str | None:
    try:
        import imageio_ffmpeg

        return subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", path],
                              capture_output=True, text=True, errors="replace", timeout=20).stderr
    except (ImportError, RuntimeError, OSError, subprocess.SubprocessError):
        return None


#: HDR reference white (BT.2408: 203 cd/m2, where HLG puts 75 % of its signal) becomes SDR white; above it,
#: highlights roll off from this share of white instead of clipping.
HDR_WHITE_NITS, SDR_KNEE = 203.0, 0.8


def sdr_table(transfer: str) -> np.ndarray | None:
    """A 256-entry table from a frame's 8-bit code values in the HDR ``transfer`` (ffmpeg's name: HLG
    ``arib-std-b67`` or PQ ``smpte2084``) to SDR (BT.1886) code values; ``None`` for an SDR transfer.

    Shown as SDR untouched, an iPhone's HLG picture is about a third darker (its white at code 191) and a
    PQ one darker still: the live window, the PDF and the annotated video look dim, and the darkness check
    warns about a well-lit room. Per channel, so the colours stay as in the BT.2020 gamut (a little pale).
    """
    v = np.arange(256) / 255.0
    if transfer == "arib-std-b67":  # ITU-R BT.2100 HLG: inverse OETF, then the OOTF of a 1000 cd/m2 display
        a, b, c = 0.17883277, 0.28466892, 0.55991073
        scene = np.where(v <= 0.5, v * v / 3, (np.exp((v - c) / a) + b) / 12)
        nits = 1000.0 * scene ** 1.2
    elif transfer == "smpte2084":  # ITU-R BT.2100 PQ EOTF: absolute cd/m2
        m1, m2, c1, c2, c3 = 0.1593017578125, 78.84375, 0.8359375, 18.8515625, 18.6875
        e = v ** (1 / m2)
        nits = 10000.0 * (np.maximum(e - c1, 0) / (c2 - c3 * e)) ** (1 / m1)
    else:
        return None
    rel = nits / HDR_WHITE_NITS
    rolled = SDR_KNEE + (1 - SDR_KNEE) * (1 - np.exp(-(rel - SDR_KNEE) / (1 - SDR_KNEE)))
    return np.round(255 * np.where(rel <= SDR_KNEE, rel, rolled) ** (1 / 2.4)).astype(np.uint8)


def colour_tags(path) -> ColourTags:
    """``path``'s colour description as ffmpeg reads it; untagged (OpenCV decodes it) if ffmpeg cannot say."""
    header = ffmpeg_header(path)
    return parse_colour_tags(header) if header else ColourTags()


#: Every decoded frame once (no frame repeated or dropped to fit a constant rate); colours converted with the
#: stream's matrix alone: its primaries and transfer are taken as BT.709, which changes no pixel for the tags
#: ffmpeg converts (P3, BT.2020, PQ, HLG: byte-identical output) and keeps ffmpeg 9 from refusing a rare
#: transfer it cannot convert (log100); each frame's presentation time printed by ``showinfo``.
_ARGS = ["-an", "-sn", "-dn", "-fps_mode", "passthrough", "-vf",
         "setparams=color_trc=bt709:color_primaries=bt709,showinfo=checksum=0", "-f", "rawvideo", "-pix_fmt",
         "bgr24", "-"]
_SHOWINFO = re.compile(r"\bn:\s*\d+\s+pts:\s*(-?\d+)\s+pts_time:\S+.*?\bs:(\d+)x(\d+)")
_TIME_BASE = re.compile(r"config in time_base: (\d+)/(\d+)")  # pts_time is printed to 6 digits: too coarse
_RATE = re.compile(r"Video: .*?, (\d+(?:\.\d+)?) fps")
_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
#: The level tag ``-loglevel level+info`` puts on each line: errors are counted, the tag kept out of messages.
_LEVEL = re.compile(r"\[(panic|fatal|error|warning|info)\] ")
#: Seconds to wait for ffmpeg's next frame before taking the stream to have stalled.
_WAIT_S = 60.0


def rate_and_length(header: str) -> tuple[float, int]:
    """The frame rate and the frame count (duration x rate, rounded) that ffmpeg's description announces;
    0 where it does not say."""
    rate, dur = _RATE.search(header), _DURATION.search(header)
    fps = float(rate.group(1)) if rate else 0.0
    secs = int(dur.group(1)) * 3600 + int(dur.group(2)) * 60 + float(dur.group(3)) if dur else 0.0
    return fps, int(round(secs * fps))


def lost_frames(step_s: float, fps: float, damaged: bool) -> int:
    """Frames missing before a decoded frame that came ``step_s`` seconds after the one before it: in a file
    known to be ``damaged`` by then, a step of more than 1.5 frame intervals of the container's rate ``fps``
    is frames lost; a step alone is not (a variable-rate phone clip's frames come unevenly)."""
    step = step_s * fps
    return int(round(step)) - 1 if damaged and step > 1.5 else 0


class _Stream:
    """One ffmpeg process decoding ``path`` from ``start_s`` seconds on (an input seek: from the keyframe before,
    frames before ``start_s`` dropped), and a thread reading its log: each frame's (time, width, height, errors
    logged so far) in :attr:`items`, ``None`` at the end. Times are the container's, as a decode from the start
    gives them (ffmpeg counts a seek's frames from the seek point)."""

    def __init__(self, path, start_s: float = 0.0) -> None:
        import imageio_ffmpeg

        seek = ["-ss", f"{start_s:.6f}"] if start_s > 0 else []
        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "level+info",
               *seek, "-i", media_path(path), *_ARGS]
        self.start_s = start_s if seek else 0.0
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.items: queue.Queue = queue.Queue()
        self.tail: collections.deque = collections.deque(maxlen=8)  # the log's last lines, for an error message
        threading.Thread(target=self._read_log, name="knee-cv-ffmpeg-log", daemon=True).start()

    def _read_log(self) -> None:
        tb, errors = 0.0, 0
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").strip()
            if m := _SHOWINFO.search(line):  # each frame carries the errors logged before it, in log order
                self.items.put((int(m.group(1)) * tb + self.start_s, int(m.group(2)), int(m.group(3)), errors))
            elif m := _TIME_BASE.search(line):
                tb = int(m.group(1)) / int(m.group(2)) if int(m.group(2)) else 0.0
            else:
                level = _LEVEL.search(line)
                errors += bool(level) and level.group(1) in ("panic", "fatal", "error")
                if len(line) < 300:
                    self.tail.append(_LEVEL.sub("", line))
        self.proc.stderr.close()
        self.items.put(None)

    def first(self) -> tuple | None:
        """The first frame's item, or None (with the reason last in :attr:`tail`) if none came."""
        try:
            item = self.items.get(timeout=_WAIT_S)
        except queue.Empty:
            self.tail.append(f"no frame within {_WAIT_S:.0f} s")
            return None
        if item is None:
            self.items.put(None)  # the end stays the end for later reads
        return item

    def pixels(self, w: int, h: int) -> np.ndarray | None:
        """The next frame's ``h x w`` BGR pixels from ffmpeg's output, or None if it ended short."""
        buf = bytearray(w * h * 3)
        view, got = memoryview(buf), 0
        while got < len(buf) and (k := self.proc.stdout.readinto(view[got:])):
            got += k
        return np.frombuffer(buf, np.uint8).reshape(h, w, 3) if got == len(buf) else None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


#: A frame further ahead than this (or behind) is reached by starting ffmpeg again just before it, where the
#: frames' times are known; nearer ones are decoded on the way (a restart costs a process and the decoding from
#: the keyframe before, about 1 s of a phone clip).
SEEK_FRAMES = 60


def known_times(times) -> np.ndarray | None:
    """``times`` (seconds, one per decoded frame) as a float array if they can place a seek: finite and strictly
    increasing, as the container gives them; else None (a reader that made some up, or none given)."""
    if times is None:
        return None
    t = np.asarray(times, float)
    return t if t.ndim == 1 and t.size > 1 and np.isfinite(t).all() and (np.diff(t) > 0).all() else None


class FfmpegCapture:
    """The few ``cv2.VideoCapture`` calls knee-cv makes, served by the ffmpeg binary that imageio-ffmpeg ships.

    Frames come out upright (ffmpeg applies the rotation tag), once each and in order, each with the
    container's presentation time (``CAP_PROP_POS_MSEC``, the times OpenCV reads). Seeking walks forward, or,
    given every frame's ``times`` (from an earlier pass, see :func:`known_times`), starts ffmpeg again just
    before the frame (:data:`SEEK_FRAMES`); a seek that lands past it (an MPEG-TS file can) walks instead.

    ffmpeg skips a damaged stretch itself where OpenCV's ``read()`` fails on it, so after each ``read()``,
    :attr:`lost` is the number of frames missing just before the one returned (:func:`lost_frames`; the file
    is damaged once decoding has logged an error). The errors alone do not place the loss: the stream parser
    runs ahead of the decoder and logs first.
    """

    def __init__(self, path, *, times=None) -> None:
        self.path, self.times = path, known_times(times)
        self._step = float(np.median(np.diff(self.times))) if self.times is not None else 0.0  # frame interval, s
        self.fps, self.frames = rate_and_length(ffmpeg_header(path) or "")
        self._sdr = sdr_table(colour_tags(path).transfer)  # an HDR picture is shown as SDR, not dim
        self._stream = _Stream(path)
        self._next = self._stream.first()
        if self._next is None:
            self.release()
            why = next((ln for ln in reversed(self._stream.tail) if ln), "ffmpeg decoded no frame")
            raise InputError(f"{path}: not a readable video ({why})")
        self.i, self.t, self.lost = 0, 0.0, 0

    def read(self) -> tuple[bool, np.ndarray | None]:
        try:
            item = self._next if self._next is not None else self._stream.items.get(timeout=_WAIT_S)
        except queue.Empty:
            return False, None
        self._next = None
        if item is None:
            self._stream.items.put(None)  # the end stays the end for later reads
            return False, None
        t, w, h, errors = item
        img = self._stream.pixels(w, h)
        if img is None:
            return False, None
        self.lost = lost_frames(t - self.t, self.fps, errors > 0) if self.i else 0
        self.i, self.t = self.i + 1, t
        return True, (img if self._sdr is None else cv2.LUT(img, self._sdr, dst=img))

    def grab(self) -> bool:
        return self.read()[0]

    def get(self, prop: int) -> float:
        return {cv2.CAP_PROP_POS_MSEC: 1000.0 * self.t, cv2.CAP_PROP_FPS: self.fps,
                cv2.CAP_PROP_FRAME_COUNT: self.frames}.get(prop, 0.0)

    def set(self, prop: int, value: float) -> None:
        if prop != cv2.CAP_PROP_POS_FRAMES:
            return
        i = int(value)
        if self.times is not None and i < len(self.times) and (i < self.i or i - self.i > SEEK_FRAMES):
            self._seek(i)
        while self.i < i and self.grab():
            pass

    def _seek(self, i: int) -> None:
        """Decode from just before frame ``i`` on, if ffmpeg lands at or before it; else walk on from where the
        stream is, or from the start for a frame already passed."""
        step = self._step
        stream = _Stream(self.path, max(0.0, self.times[i] - step / 4))
        first = stream.first()
        at = None if first is None else int(np.searchsorted(self.times, first[0] - step / 4))
        if at is None or at > i or abs(self.times[min(at, len(self.times) - 1)] - first[0]) > step / 4:
            stream.close()  # past the frame, or at a time no frame had: only a walk is exact
            if i >= self.i:
                return
            stream, at = _Stream(self.path), 0
            first = stream.first()
        self._stream.close()
        self._stream, self._next = stream, first
        self.i, self.t = at, (float(self.times[at - 1]) if at else 0.0)

    def release(self) -> None:
        self._stream.close()
