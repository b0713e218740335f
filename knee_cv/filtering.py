"""Cleaning landmark tracks: gap filling, outlier rejection, smoothing.

Everything operates on arrays of shape (T, ...) along axis 0, vectorized over
all landmarks and coordinates at once.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy import ndimage, signal

from .track import LM, SHOULDER, PoseTrack

#: Landmarks the analysis reads; only these are cleaned (the rest stay as estimated).
USED = np.array(sorted({LM.NOSE, *range(LM.LEFT_SHOULDER, LM.RIGHT_WRIST + 1), *range(LM.LEFT_HIP, 33)}))


@dataclasses.dataclass(frozen=True)
class FilterSettings:
    """Smoothing settings for recorded video (zero-phase).

    Defaults follow Sports2D's recommendation (gap interpolation, Hampel,
    4th-order Butterworth at 6 Hz, applied forward and backward). Windows are in
    seconds, so a clip filmed at 15 or 60 fps is smoothed over the same time as
    one at 30 (a 7-frame Hampel window at 10 fps spans a whole squat's bottom).
    """

    max_gap_s: float = 0.3
    hampel_window_s: float = 7 / 30  # 7 frames at 30 fps; odd, at least 3 frames
    hampel_sigmas: float = 3.0
    cutoff_hz: float = 6.0
    order: int = 4


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    """Length of the run of True each element of ``mask`` (T, K) belongs to (0 where False)."""
    T, K = mask.shape
    key = np.cumsum(~mask, axis=0) * K + np.arange(K)  # constant within a run, per column
    counts = np.bincount(key[mask], minlength=key.max() + 1)
    return np.where(mask, counts[key], 0)


def interpolate_gaps(x: np.ndarray, t: np.ndarray, max_gap: int) -> np.ndarray:
    """Linearly fill NaN runs of at most ``max_gap`` frames; longer gaps stay NaN.

    Parameters
    ----------
    x : ndarray, shape (T, ...)
    t : ndarray, shape (T,), seconds
    """
    flat = x.reshape(len(x), -1).astype(np.float64)
    nan = np.isnan(flat)
    if not nan.any():
        return x.copy()
    filled = flat.copy()
    for k in np.flatnonzero(nan.any(0) & ~nan.all(0)):  # one call per column, vectorized over frames
        ok = ~nan[:, k]
        filled[:, k] = np.interp(t, t[ok], flat[ok, k])
    too_long = _run_lengths(nan) > max_gap
    # leading/trailing NaNs are extrapolated flat by np.interp: keep them NaN
    edge = np.logical_or(np.cumsum(~nan, 0) == 0, np.cumsum(~nan[::-1], 0)[::-1] == 0)
    filled[too_long | edge | nan.all(0)] = np.nan
    return filled.reshape(x.shape)


def hampel(x: np.ndarray, window: int = 7, n_sigmas: float = 3.0) -> np.ndarray:
    """Replace outliers by the rolling median (Hampel filter) along axis 0.

    Windows that touch a NaN are left unchanged. Uses scipy's C median filter.

    Parameters
    ----------
    x : ndarray, shape (T, ...)
    window : int
        Odd window length in frames.
    """
    if len(x) < window:
        return x.copy()
    size = (window,) + (1,) * (x.ndim - 1)
    nan = np.isnan(x)
    filled = np.where(nan, 0.0, x)
    med = ndimage.median_filter(filled, size=size, mode="nearest")
    mad = 1.4826 * ndimage.median_filter(np.abs(filled - med), size=size, mode="nearest")
    near_nan = ndimage.maximum_filter1d(nan, window, axis=0, mode="nearest")
    outlier = ~near_nan & (np.abs(x - med) > n_sigmas * np.maximum(mad, 1e-6))
    return np.where(outlier, med, x)


def lowpass(x: np.ndarray, fps: float, cutoff_hz: float = 6.0, order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth low-pass along axis 0; NaNs are preserved.

    NaN stretches are bridged by interpolation for the filter only and put back after.
    """
    cutoff = min(cutoff_hz, 0.45 * fps)
    flat = x.reshape(len(x), -1)
    nan = np.isnan(flat)
    good = ~nan.all(0)
    if len(x) < 3 * (order + 1) or not good.any():
        return x.copy()
    tmp = flat.copy()
    idx = np.arange(len(x))
    for k in np.flatnonzero(nan.any(0) & good):
        tmp[:, k] = np.interp(idx, idx[~nan[:, k]], flat[~nan[:, k], k])
    sos = signal.butter(order, cutoff, fs=fps, output="sos")
    padlen = min(3 * (2 * len(sos) + 1), len(x) - 1)
    tmp[:, good] = signal.sosfiltfilt(sos, tmp[:, good], axis=0, padlen=padlen)
    tmp[nan] = np.nan
    return tmp.reshape(x.shape)


def hampel_frames(window_s: float, fps: float) -> int:
    """The odd Hampel window, in frames, nearest ``window_s`` seconds at ``fps`` (at least 3)."""
    return max(3, 2 * int(np.floor((window_s * fps - 1) / 2 + 0.5)) + 1)


def clean(track: PoseTrack, settings: FilterSettings = FilterSettings()) -> PoseTrack:
    """Gap-fill, reject outliers and zero-phase smooth a recorded track.

    Only the landmarks in :data:`USED` are cleaned (their ``x``, ``y``, and the
    shoulders' ``z``; other ``z`` values are left as estimated). Landmarks missing for longer
    than ``settings.max_gap_s`` stay NaN (documented: NaN means "not seen").
    """
    if len(track) == 0:
        return track
    max_gap = max(1, int(round(settings.max_gap_s * track.fps)))
    # image x, y of the used landmarks, and z only where it is read (shoulder depth gives body yaw)
    cols = np.concatenate([track.xyz[:, USED, :2].reshape(len(track), -1), track.xyz[:, SHOULDER, 2]], axis=1)
    part = interpolate_gaps(cols.astype(np.float64), track.t, max_gap)
    part = hampel(part, hampel_frames(settings.hampel_window_s, track.fps), settings.hampel_sigmas)
    part = lowpass(part, track.fps, settings.cutoff_hz, settings.order)
    xyz = track.xyz.copy()
    xyz[:, USED, :2] = part[:, :2 * len(USED)].reshape(len(track), len(USED), 2)
    xyz[:, SHOULDER, 2] = part[:, 2 * len(USED):]
    vis = track.visibility.copy()
    vis[:, USED] = np.nan_to_num(interpolate_gaps(
        np.where(track.detected[:, None], track.visibility[:, USED], np.nan), track.t, max_gap), nan=0.0)
    return track.replace(xyz=xyz, visibility=vis)


@dataclasses.dataclass(frozen=True)
class OneEuroSettings:
    """Causal smoothing for live video (Casiez et al., CHI 2012).

    Cut-offs in Hz; ``beta`` raises the cut-off with speed (px/s), so slow
    jitter is smoothed hard while fast movement keeps little lag.
    """

    min_cutoff_hz: float = 1.5
    beta: float = 0.02
    d_cutoff_hz: float = 1.0


class OneEuroFilter:
    """One-euro filter over arrays of any fixed shape, one sample per call (vectorized over elements).

    NaN inputs (landmark not seen) pass through as NaN and reset that element.
    """

    def __init__(self, settings: OneEuroSettings = OneEuroSettings()) -> None:
        self.s = settings
        self._x = self._dx = None
        self._t: float | None = None

    @staticmethod
    def _alpha(cutoff, dt: float):
        tau = 1.0 / (2 * np.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        x = np.asarray(x, np.float64)
        if self._x is None or self._t is None or t <= self._t:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        fresh = np.isnan(self._x) & ~np.isnan(x)   # newly seen: start from the measurement
        dx = np.where(fresh, 0.0, (x - self._x) / dt)
        a_d = self._alpha(self.s.d_cutoff_hz, dt)
        self._dx = np.where(np.isnan(self._dx), dx, self._dx + a_d * (dx - self._dx))
        a = self._alpha(self.s.min_cutoff_hz + self.s.beta * np.abs(self._dx), dt)
        self._x = np.where(fresh, x, self._x + a * (x - self._x))
        self._t = t
        return self._x.copy()
