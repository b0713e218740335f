"""Frames → pose → landmark track. Shared by recorded-video analysis and live mode."""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .pose import PoseEstimator
from .track import N_LANDMARKS, PoseTrack
from .video import Frame

FrameCallback = Callable[[Frame, np.ndarray, np.ndarray], None]


def estimate_track(frames: Iterable[Frame], estimator: PoseEstimator, *, width: int, height: int, fps: float,
                   on_frame: FrameCallback | None = None) -> PoseTrack:
    """Run pose estimation over ``frames`` and stack the results into a track.

    ``on_frame(frame, xyz, visibility)`` is called after each frame (progress
    bars, live overlays). If the frame source raises part-way, the exception
    propagates; callers that want partial results catch it around the iterator.
    """
    xyz = np.empty((1024, N_LANDMARKS, 3), np.float32)
    vis = np.empty((1024, N_LANDMARKS), np.float32)
    ts: list[float] = []
    for fr in frames:
        n = len(ts)
        if n == len(xyz):  # amortized growth, no per-frame reallocation
            xyz = np.concatenate([xyz, np.empty_like(xyz)])
            vis = np.concatenate([vis, np.empty_like(vis)])
        xyz[n], vis[n] = estimator.process(fr.image, fr.t)
        ts.append(fr.t)
        if on_frame is not None:
            on_frame(fr, xyz[n], vis[n])
    n = len(ts)
    return PoseTrack(xyz[:n], vis[:n], np.asarray(ts, np.float64), width, height, fps)
