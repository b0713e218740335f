"""Typed analysis settings, thresholds with their sources, and TOML loading.

A settings file mirrors the dataclass fields, for example::

    [faults.valgus_squat]
    mild = 2.0
    [reps]
    min_depth = 0.15
"""
from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from .camera import CutSettings
from .codes import MeasureKind, Severity
from .errors import ConfigError
from .filtering import FilterSettings
from .kinematics import TrustSettings
from .reps import Exercise, RepSettings


@dataclasses.dataclass(frozen=True)
class Threshold:
    """Severity cut-offs for one measure (value ≥ cut-off; for ``below`` ≤)."""

    mild: float
    moderate: float
    severe: float
    unit: str
    source: str
    below: bool = False

    def __post_init__(self) -> None:
        cuts = (self.mild, self.moderate, self.severe)
        if not all(isinstance(c, (int, float)) and not isinstance(c, bool) and np.isfinite(c) for c in cuts):
            raise ConfigError(f"threshold cut-offs must be finite numbers, got {cuts}")
        if list(cuts) != sorted(cuts, reverse=self.below):
            order = "mild >= moderate >= severe" if self.below else "mild <= moderate <= severe"
            raise ConfigError(f"threshold cut-offs must satisfy {order}, got {cuts}")

    def severity(self, value: float) -> Severity | None:
        """The severity of ``value``, or None if it is within range (NaN → None)."""
        v = -value if self.below else value
        cuts = (-self.severe, -self.moderate, -self.mild) if self.below else (self.severe, self.moderate, self.mild)
        for sev, cut in zip((Severity.SEVERE, Severity.MODERATE, Severity.MILD), cuts):
            if v >= cut:
                return sev
        return None

    def grade(self, value: np.ndarray) -> np.ndarray:
        """Vectorized :meth:`severity`: 0 in range (or NaN), 1 mild, 2 moderate, 3 severe. Same shape."""
        v = np.nan_to_num(-value if self.below else value, nan=-np.inf)
        cuts = np.array([self.mild, self.moderate, self.severe]) * (-1 if self.below else 1)
        return (v[..., None] >= cuts).sum(-1)

    @property
    def onset(self) -> float:
        return self.mild


@dataclasses.dataclass(frozen=True)
class FaultSettings:
    """Thresholds for each fault. Sources are cited in ``source``; see README."""

    #: bilateral squats at least ``shallow_depth`` deep: depth-adjusted FPPA, degrees (README, "Valgus in deep squats")
    valgus_squat: Threshold = Threshold(
        5.0, 10.0, 20.0, "deg", "knee-cv calibration on labelled real clips (README); the mild onset is twice the "
        "measure's rep-to-rep SD on labelled-good reps (2.4 deg, scripts/noise_real.py)")
    varus_squat: Threshold = Threshold(
        -45.0, -55.0, -65.0, "deg", "knee-cv calibration (README): beyond every labelled good squat", below=True)
    #: single-leg squat, lunge lead leg and shallow squats: raw FPPA, degrees
    valgus_single_leg: Threshold = Threshold(
        13.5, 16.8, 22.0, "deg", "Herrington, Knee 2014: controls 8.4±5.1, patellofemoral pain 16.8±5.4 deg")
    hip_drop: Threshold = Threshold(
        6.0, 9.0, 12.0, "deg", "no validated cut-off (Crossley 2011: pelvis should not move from its start); "
        "knee-cv default above 2D measurement noise")
    #: left-right difference of the knee measure, degrees
    asymmetry: Threshold = Threshold(10.0, 15.0, 20.0, "deg", "knee-cv default: above the smallest detectable "
                                     "difference of 7.5-8.9 deg (Munro 2012)")
    #: expected FPPA change per leg length of hip descent for a knee tracking over the foot
    squat_depth_slope_deg: float = 120.0
    #: squats shallower than this (hip descent, fraction of leg length) are judged on the raw FPPA: the depth
    #: correction was calibrated on squats 0.54-0.72 deep, and near standing the thigh hardly foreshortens
    shallow_depth: float = 0.25
    #: judge bilateral squats on frames at least this deep (fraction of the rep's depth)
    judge_from_depth_fraction: float = 0.6
    #: knees are not judged when the body turns further than this from the camera (README, "View and body turn")
    max_yaw_deg: float = 30.0
    #: knees and the hip are not judged when the standing legs are shorter than this in the video (pixels; README,
    #: "A person small in the picture"): on real clips shrunk in the picture, legs of 47 px or more read within
    #: 6.7 deg of the clips as filmed with no call changed; at 33-44 px up to 11 deg toward valgus, and clean knees
    #: read mild valgus
    min_leg_px: float = 45.0
    #: from this turn on (degrees), a knee's verdict must also hold square-on (README, "View and body turn"):
    #: below it the turn is within its reading noise (up to 1.9 on renders facing the camera), and renders
    #: turned 5 degrees gave no wrong verdict at any camera height
    square_check_from_deg: float = 5.0
    #: feet read as turned out less than this (degrees, standing, ``Baseline.toe_out_deg``): the depth-adjusted
    #: FPPA assumes knees travelling outward over turned-out feet, so in a bilateral squat a valgus call must also
    #: hold by the raw FPPA (README, "Feet straight ahead"). On the mannequin, clean squats with straight feet
    #: read 4-9 and were flagged severe; the labelled-valgus real squats read 24.7 at their lowest (the valgus
    #: clip's first 2.5 s, where live mode calibrates), and a real squat checked here loses its true valgus calls
    straight_feet_deg: float = 15.0
    #: a knee (and the hip) is judged in a rep only from at least this long of trusted frames near its bottom:
    #: 3 frames at 30 fps, 6 at 60, and never fewer than 2 (3 frames at any rate asked twice the time at 15 fps
    #: and left 16 of 32 knee-reps of two real clips re-encoded at 15 fps not judged; README, "Frame rate")
    min_trusted_s: float = 0.1
    #: a knee measure beyond this (degrees, either way) is a failed measurement, not a fault: the frame is
    #: not used (no knee bends this far in the frontal plane; side-on frames of edited clips read 120-190)
    max_plausible_deg: float = 60.0
    #: in a bilateral squat, knees whose measures differ by more than this in one frame (twice the severe
    #: asymmetry onset) are both untrusted there: one of them is misplaced, and we cannot tell which
    max_plausible_gap_deg: float = 40.0
    #: a knee measure changing faster than this (degrees per second) between two consecutive trusted frames is a
    #: landmark that leapt, and both frames are untrusted (README, "Trusted frames"): the fastest change on the
    #: renders was 359 (turned 20 degrees) and on the labelled front views of the real clips 248
    max_knee_rate_deg_s: float = 500.0
    #: ... but a step this small (degrees) is never a jump: per-frame jitter of high-frame-rate video
    min_knee_jump_deg: float = 10.0
    #: valgus is flagged only where the knee went further medial of its toe line than this at some judged frame
    #: (% of leg length): the source documents define valgus as the knee drifting inside the second toe, and a
    #: knee that stayed outside it is not collapsing whatever the angle says (every labelled-valgus knee-rep of
    #: the real clips went 2-7 % inside; README, "Valgus in deep squats")
    valgus_min_toe_pct: float = 0.0

    def valgus(self, exercise: Exercise) -> Threshold:
        """The knee-valgus threshold for deep reps of ``exercise`` (see :meth:`valgus_for`)."""
        return self.valgus_single_leg if exercise.one_legged else self.valgus_squat

    def measure_kind(self, exercise: Exercise, depth: float) -> MeasureKind:
        """The knee measure a rep of ``exercise`` and ``depth`` (fraction of leg length) is judged on."""
        if exercise.one_legged or depth < self.shallow_depth:
            return MeasureKind.FPPA
        return MeasureKind.DEPTH_ADJUSTED_FPPA

    def min_frames(self, t: np.ndarray) -> int:
        """Trusted frames a rep's knee needs, for frames taken at times ``t`` (seconds, shape (T,)): as many
        as span ``min_trusted_s`` at the median frame interval, at least 2."""
        dt = np.diff(t)
        dt = dt[np.isfinite(dt) & (dt > 0)]
        fps = 1.0 / float(np.median(dt)) if dt.size else 30.0
        return max(2, int(round(self.min_trusted_s * fps)))

    def valgus_for(self, kind: MeasureKind) -> Threshold:
        """The knee-valgus threshold of a measure."""
        return self.valgus_single_leg if kind is MeasureKind.FPPA else self.valgus_squat


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything that tunes an analysis; pass explicitly, never read globally."""

    filters: FilterSettings = FilterSettings()
    cuts: CutSettings = CutSettings()
    trust: TrustSettings = TrustSettings()
    reps: RepSettings = RepSettings()
    faults: FaultSettings = FaultSettings()


#: Allowed ranges of numeric settings: (low, high, low included, high included). Every float must be finite.
RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "max_gap_s": (0.0, 5.0, True, True), "hampel_window_s": (0.0, 10.0, False, True),
    "hampel_sigmas": (0.5, 10, True, True),
    "cutoff_hz": (0.0, 30.0, False, True), "order": (1, 8, True, True),
    "min_visibility": (0.0, 1.0, True, True), "min_knee_arm_distance": (0.0, 2.0, True, True),
    "max_roll_deg": (0.0, 45.0, True, True),
    "min_depth": (0.0, 1.0, False, True), "min_rep_s": (0.05, 60.0, True, True), "max_rep_s": (0.5, 600.0, True, True),
    "stand_fraction": (0.0, 1.0, False, False), "lunge_knee_gap": (0.0, 1.0, False, True),
    "single_leg_ankle_gap": (0.0, 1.0, False, True), "foot_only_gap": (0.0, 1.0, False, True),
    "planted_share": (0.0, 1.0, True, True),
    "squat_depth_slope_deg": (0.0, 400.0, True, True),
    "judge_from_depth_fraction": (0.0, 1.0, False, True), "max_yaw_deg": (0.0, 90.0, True, True),
    "min_leg_px": (0.0, 1e4, True, True),
    "square_check_from_deg": (0.0, 90.0, True, True), "straight_feet_deg": (-90.0, 90.0, True, True),
    "min_trusted_s": (0.0, 10.0, True, True), "max_plausible_deg": (10.0, 180.0, True, True),
    "max_plausible_gap_deg": (5.0, 360.0, True, True), "shallow_depth": (0.0, 1.0, True, False),
    "max_knee_rate_deg_s": (10.0, 1e6, True, True), "min_knee_jump_deg": (0.0, 360.0, True, True),
    "valgus_min_toe_pct": (-100.0, 100.0, True, True),
    "min_jump": (0.0, 1e6, False, True), "calm_ratio": (1.0, 1e6, True, True), "max_misfit": (0.0, 1.0, False, True),
    "max_zoom": (1.0, 100.0, False, True), "move_window_s": (0.5, 60.0, True, True),
    "max_feet_drift": (0.0, 100.0, False, True),
    "standing_near_s": (0.0, 600.0, True, True),
    "standing_margin_leg": (0.0, 1.0, True, True), "standing_margin_hip": (0.0, 1.0, True, True),
}


def _check_value(key: str, val: Any, where: str) -> None:
    """One-line errors naming the key and the allowed range (called before any slow work)."""
    vals = val if isinstance(val, tuple) else (val,)
    if not all(np.isfinite(v) for v in vals):
        raise ConfigError(f"{where}.{key}: must be a finite number, got {val}")
    if isinstance(val, tuple) and (len(val) != 2 or val[0] > val[1]):
        raise ConfigError(f"{where}.{key}: must be two numbers [low, high] with low <= high, got {list(val)}")
    if key in RANGES and not isinstance(val, tuple):
        lo, hi, lo_in, hi_in = RANGES[key]
        if not ((lo <= val if lo_in else lo < val) and (val <= hi if hi_in else val < hi)):
            bounds = f"{'[' if lo_in else '('}{lo:g}, {hi:g}{']' if hi_in else ')'}"
            raise ConfigError(f"{where}.{key}: must be in {bounds}, got {val:g}")


def _coerce(cur: Any, key: str, val: Any, where: str) -> Any:
    """``val`` as the type of the current value ``cur``, or a one-line error."""
    if isinstance(cur, tuple):
        if not isinstance(val, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in val):
            raise ConfigError(f"{where}.{key}: expected a list of two numbers, got {val!r}")
        return tuple(float(v) for v in val)
    if isinstance(cur, bool) or not isinstance(val, (int, float)) or isinstance(val, bool):
        if type(val) is not type(cur):
            raise ConfigError(f"{where}.{key}: expected {type(cur).__name__}, got {type(val).__name__}")
        return val
    if not np.isfinite(val):
        raise ConfigError(f"{where}.{key}: must be a finite number, got {val}")
    if isinstance(cur, int) and val != int(val):
        raise ConfigError(f"{where}.{key}: expected a whole number, got {val}")
    return type(cur)(val)


def _merge(obj: Any, data: dict, where: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a table, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(obj)}
    changes = {}
    for key, val in data.items():
        if key not in fields:
            raise ConfigError(f"{where}.{key}: unknown setting (known: {', '.join(sorted(fields))})")
        cur = getattr(obj, key)
        if dataclasses.is_dataclass(cur):
            changes[key] = _merge(cur, val, f"{where}.{key}")
            continue
        changes[key] = _coerce(cur, key, val, where)
        if isinstance(changes[key], (int, float, tuple)) and not isinstance(changes[key], bool):
            _check_value(key, changes[key], where)
    try:
        return dataclasses.replace(obj, **changes)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def load_settings(path: str | Path | None) -> Settings:
    """Default settings, overridden by a TOML file if ``path`` is given."""
    if path is None:
        return Settings()
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such settings file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a settings file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return _merge(Settings(), data, Path(path).name)


def as_dict(settings: Settings) -> dict:
    return dataclasses.asdict(settings)


def settings_key(settings: Settings) -> str:
    """A short hash of every setting: two results with the same key were judged alike (batch resume, history)."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(as_dict(settings), sort_keys=True, default=str).encode()).hexdigest()[:16]
