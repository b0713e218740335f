"""What was analyzed: the source video and the pose model, as typed records for the reports."""
from __future__ import annotations

import dataclasses

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
    frames_read : int
        Frames actually decoded and analyzed.
    duration_s : float
        Seconds analyzed.
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

    @property
    def truncated(self) -> bool:
        return ends_early(self.frames_read, self.frames)

    @classmethod
    def from_info(cls, info: VideoInfo, frames_read: int, *, sha256: str | None = None) -> "VideoMeta":
        """From a decoded video file."""
        return cls(info.path, round(info.fps, 3), info.frames, frames_read, info.width, info.height,
                   round(frames_read / info.fps, 3), sha256)

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
