"""What was analyzed: the source video and the pose model, as typed records for the reports."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

from .errors import InputError
from .track import PoseTrack
from .video import VideoInfo


def ends_early(frames_read: int, frames_announced: int) -> bool:
    """A video that stops well before its announced length (an interrupted phone recording)."""
    return bool(frames_announced) and frames_read < 0.98 * frames_announced


@dataclasses.dataclass(frozen=True)
class VideoMeta:
    """The source of a landmark track.

    Attributes
    ----------
    frames : int
        Frames the container announced (live: frames received).
    frames_skipped : int
        Frames lost to damaged stretches in the middle of the file (estimated from the time they span).
    frames_read : int
        Frames actually decoded and analyzed.
    duration_s : float
        Seconds analyzed.
    crop : str or None
        Only this part of the picture was analyzed (``--crop``: width:height:left:top, pixels).
    """

    path: str
    fps: float
    frames: int
    frames_read: int
    width: int
    height: int
    duration_s: float
    sha256: str | None = None
    live: bool = False
    frames_skipped: int = 0
    crop: str | None = None

    @property
    def truncated(self) -> bool:
        return ends_early(self.frames_read + self.frames_skipped, self.frames)

    @classmethod
    def from_info(cls, info: VideoInfo, frames_read: int, *, sha256: str | None = None,
                  frames_skipped: int = 0) -> "VideoMeta":
        """From a decoded video file; ``frames_skipped`` were lost to damaged stretches in the middle."""
        return cls(info.path, round(info.fps, 3), info.frames, frames_read, info.width, info.height,
                   round(frames_read / info.fps, 3), sha256, frames_skipped=frames_skipped)

    @classmethod
    def from_track(cls, raw: PoseTrack, path: str, *, announced: int | None = None, sha256: str | None = None,
                   live: bool = False) -> "VideoMeta":
        """From a landmark track (a saved landmark file, or a live session)."""
        return cls(path, round(raw.fps, 3), len(raw) if announced is None else announced, len(raw), raw.width,
                   raw.height, round(float(raw.t[-1]) if len(raw) else 0.0, 3), sha256, live)


@dataclasses.dataclass(frozen=True)
class ModelMeta:
    """The pose model used (``unknown`` for a landmark file that does not say)."""

    name: str
    sha256: str


@dataclasses.dataclass(frozen=True)
class Session:
    """Who was filmed, when, and the coach's notes: shown on the PDF and stored in report.json.

    ``date`` is an ISO 8601 date (``YYYY-MM-DD``) or date-time; see :func:`session_date`.
    """

    subject: str | None = None
    date: str | None = None
    notes: str | None = None

    def __post_init__(self) -> None:
        for name in ("subject", "notes"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or len(value) > 2000):
                raise InputError(f"--{name}: expected a text of at most 2000 characters")
            if value is not None and not value.strip():
                object.__setattr__(self, name, None)
        if self.date is not None:
            object.__setattr__(self, "date", parse_date(self.date))


def parse_date(text: str) -> str:
    """``YYYY-MM-DD`` or an ISO date-time, normalized; an :class:`InputError` naming the format otherwise."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--date {text!r}: expected a date as YYYY-MM-DD (or an ISO date-time)") from None
    has_time = "T" in text or " " in text.strip()
    return value.isoformat(timespec="seconds") if has_time else value.date().isoformat()


_CREATION = re.compile(r"^\s*creation_time\s*:\s*(\S+)", re.MULTILINE)


def session_date(video: str | None) -> str:
    """When a video was recorded: its container's creation time if it has one, else the file's modification
    time; today (UTC) for a live session. ISO 8601 date-time, UTC."""
    if video is None or not Path(video).is_file():
        return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    stamp = _container_time(video)
    if stamp is None:
        stamp = dt.datetime.fromtimestamp(Path(video).stat().st_mtime, dt.timezone.utc)
    return stamp.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def _container_time(video: str) -> dt.datetime | None:
    """The ``creation_time`` tag of the container (phones write it), read with the bundled ffmpeg."""
    from .decoders import ffmpeg_header

    out = ffmpeg_header(video)
    if out is None:
        return None
    m = _CREATION.search(out)
    if m is None:
        return None
    try:
        stamp = dt.datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.year < 1990:  # cameras without a clock write 1970 or 1904
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)
