"""Rep segmentation from the hip trajectory, and exercise detection."""
from __future__ import annotations

import dataclasses
import enum

import numpy as np
from scipy import signal

from .codes import SIDES, Side
from .kinematics import level
from .track import ANKLE, KNEE, SHOULDER


class Exercise(str, enum.Enum):
    SQUAT = "squat"
    LUNGE = "lunge"
    SINGLE_LEG_SQUAT = "single_leg_squat"
    UNKNOWN = "unknown"

    @property
    def one_legged(self) -> bool:
        """Lunge or single-leg squat: one leg is judged, on the raw FPPA with single-leg thresholds."""
        return self in (Exercise.LUNGE, Exercise.SINGLE_LEG_SQUAT)


@dataclasses.dataclass(frozen=True)
class RepSettings:
    """Rep detection settings (depths are fractions of standing leg length)."""

    min_depth: float = 0.12        # shallower dips are not reps
    min_rep_s: float = 0.6         # bottoms closer than this are one rep
    max_rep_s: float = 20.0        # a rep's standing level is looked for this far either side of its bottom
    stand_fraction: float = 0.35   # a rep starts/ends where depth is below this share of its own depth
    lunge_knee_gap: float = 0.12   # knee height difference at the bottom that marks a one-legged rep
    single_leg_ankle_gap: float = 0.10  # ankle height difference that marks a lifted foot, if the knees differ too
    #: ankle height difference that marks a one-legged rep on its own: a body turned 20-25 degrees seen from a
    #: high camera shows its planted feet up to about 0.15 leg lengths apart in height, its knees far less
    foot_only_gap: float = 0.20
    #: a one-legged rep whose ankles both move less than this share of its depth from its start to its bottom
    #: stands on both feet: a lunge, not a single-leg squat (whose free foot goes down with the hips)
    planted_share: float = 0.25
    #: a standing hip line tilted more than this (degrees) is not taken for the camera's roll: a body turned
    #: under a high camera, or seen from the side, tilts it by perspective (real oblique views read 10-11,
    #: side views up to 40); within it the two legs' heights are compared across the hip line
    max_roll_deg: float = 10.0
    #: the standing posture is read from frames within this many seconds of a rep: where the person squats,
    #: not where they walked into the picture or stood talking farther away
    standing_near_s: float = 1.5
    #: and replaces the whole clip's only when it differs by more than its noise: the leg length by this
    #: fraction, or the hip height by ``standing_margin_hip`` L (3.6 deg of the squat measure)
    standing_margin_leg: float = 0.05
    standing_margin_hip: float = 0.03


@dataclasses.dataclass(frozen=True)
class Rep:
    """One repetition; frame indices into the track.

    Attributes
    ----------
    depth : float
        Hip descent at the bottom, fraction of standing leg length.
    lead_leg : Side or None
        For lunges, the front leg; for single-leg squats, the standing leg.
    """

    index: int
    start: int
    bottom: int
    end: int
    depth: float
    lead_leg: Side | None = None


def _find_reps(d: np.ndarray, fps: float, settings: RepSettings, first_peak: int = 0
               ) -> list[tuple[int, int, int, float, bool]]:
    """Reps in a depth buffer as ``(start, bottom, end, depth, closed)``; ``closed``: the end was seen.

    A rep is a peak of hip descent (scipy ``find_peaks``: height and prominence
    ``min_depth``, ``min_rep_s`` apart); it starts and ends where depth falls below
    ``stand_fraction`` of its own depth, or at the lowest point before the next rep.
    Peaks before ``first_peak`` are too close to an earlier, deeper bottom outside the buffer.
    """
    peaks, _ = signal.find_peaks(d, height=settings.min_depth, prominence=settings.min_depth,
                                 distance=max(1, int(settings.min_rep_s * fps)),
                                 wlen=max(3, int(2 * settings.max_rep_s * fps)) | 1)  # bounded: O(T)
    peaks = peaks[peaks >= first_peak]
    out = []
    prev_end = 0
    for k, p in enumerate(peaks):
        level = settings.stand_fraction * d[p]
        nxt = peaks[k + 1] if k + 1 < len(peaks) else len(d)
        before = np.flatnonzero(d[prev_end:p] < level)
        start = prev_end + before[-1] if before.size else prev_end + int(np.argmin(d[prev_end:p + 1]))
        after = np.flatnonzero(d[p:nxt] < level)
        end = p + after[0] if after.size else p + int(np.argmin(d[p:nxt]))
        if end <= p:
            end = min(p + 1, len(d) - 1)
        out.append((int(start), int(p), int(end), float(d[p]), bool(after.size)))
        prev_end = end
    return out


class RepSegmenter:
    """Closes reps as depth samples arrive: one frame at a time (live) or a whole track at once.

    A rep is handed out once it can no longer change: its end was seen (depth back
    below ``stand_fraction`` of the rep's depth) and ``min_rep_s`` has passed since
    its bottom, so no deeper bottom nearby can replace it. :meth:`finish` hands out
    what the end of the track leaves open. Feeding a track frame by frame gives the
    same reps as feeding it at once (``tests/test_core.py``).

    Parameters
    ----------
    fps : float
        Frame rate, for the minimum rep duration.
    """

    def __init__(self, fps: float, settings: RepSettings = RepSettings()) -> None:
        self.fps, self.settings = fps, settings
        self._buf = np.zeros(0)   # depth since the last handed-out rep ended
        self._origin = 0          # frame index of ``_buf[0]``
        self._count = 0
        self._last_bottom = -(10 ** 9)  # frame of the last handed-out rep's bottom

    @property
    def origin(self) -> int:
        """Frame index where the movement under way can have begun: the end of the last handed-out rep."""
        return self._origin

    @property
    def frames(self) -> int:
        """Frames seen so far."""
        return self._origin + len(self._buf)

    def rise(self) -> tuple[float, float]:
        """``(trough, peak)`` of the movement under way: the lowest depth since the last rep, and the deepest
        point after it. ``peak - trough >= min_depth`` means a rep has begun."""
        if not len(self._buf):
            return 0.0, 0.0
        k = int(np.argmin(self._buf))
        return float(self._buf[k]), float(self._buf[k:].max())

    def update(self, depth: np.ndarray | float) -> list[Rep]:
        """Add depth samples (fraction of leg length; NaN = unknown) and return the reps they close.

        An unknown sample holds the last known depth: a frame the pose model missed mid-rep is not the person
        standing up (read as 0, one dropped frame split a live rep into a shallow "good rep" and the rest).
        Before the person is first seen nothing is buffered: an unknown start is not standing either (held as 0,
        a clip whose person MediaPipe first found 0.17 deep, as its tracker settled, began with a phantom rep
        "from standing")."""
        x = np.atleast_1d(np.asarray(depth, float))
        if not len(self._buf):
            known = np.flatnonzero(~np.isnan(x))
            skip = int(known[0]) if known.size else len(x)
            self._origin, x = self._origin + skip, x[skip:]
        if np.isnan(x).any():
            x = np.r_[self._buf[-1] if len(self._buf) else 0.0, x]
            x = x[np.maximum.accumulate(np.where(np.isnan(x), 0, np.arange(len(x))))][1:]
        self._buf = np.r_[self._buf, x]
        return self._take(final=True)

    def finish(self) -> list[Rep]:
        """The reps left open at the end of the track (a last rep whose standing-up was cut off)."""
        return self._take(final=False)

    def _take(self, final: bool) -> list[Rep]:
        wait = max(1, int(self.settings.min_rep_s * self.fps))
        # find_peaks keeps the deeper of two bottoms closer than min_rep_s: the last handed-out bottom won
        found = _find_reps(self._buf, self.fps, self.settings, self._last_bottom + wait - self._origin)
        last = len(self._buf) - 1
        out: list[Rep] = []
        for start, bottom, end, depth, closed in found:
            if final and not (closed and bottom + wait <= last):
                break
            self._count += 1
            out.append(Rep(self._count, self._origin + start, self._origin + bottom, self._origin + end, depth))
        if out:
            self._last_bottom = out[-1].bottom
            cut = out[-1].end - self._origin
            self._buf, self._origin = self._buf[cut:], self._origin + cut
        return out


def segment_reps(depth: np.ndarray, fps: float, settings: RepSettings = RepSettings()) -> list[Rep]:
    """Find reps as peaks of hip descent (see :class:`RepSegmenter`).

    Parameters
    ----------
    depth : ndarray, shape (T,)
        Hip descent below standing (fraction of leg length); NaN where unknown.
    fps : float
        Frame rate, for the minimum rep duration.
    """
    seg = RepSegmenter(fps, settings)
    return seg.update(depth) + seg.finish()


def classify_exercise(xy: np.ndarray, leg_length: float, reps: list[Rep], settings: RepSettings = RepSettings(),
                      *, force: Exercise | None = None, roll_deg: float = 0.0) -> tuple[Exercise, list[Rep]]:
    """Tell a bilateral squat from a lunge or single-leg squat at each rep's bottom.

    A lunge shows one knee far lower than the other at the bottom (the rear knee
    drops toward the floor) while that leg's foot looks higher (further away); the
    lead leg is the one whose knee stays higher. Filmed from in front and above, the
    rear knee, further away, can look no lower than the front one (MediaPipe read it
    0.08-0.11 leg lengths lower at knee-to-hip height where the true gap is 0.32, and
    higher from 1.5 m): in a rep seen from in front whose feet differ more in height
    than its knees and point at the other leg, the lower foot, the nearer one, leads.
    (From behind the nearer foot is the rear one: the knees tell.) A single-leg squat
    shows one foot lifted; the standing leg is the one with the lower ankle. Its free foot
    goes down with the hips, so a one-legged rep whose ankles both stay where they were at
    its start stands on both feet: a lunge (a lateral lunge's level ankles cannot say which
    foot looks higher).

    Reads the landmarks at each rep's ``start`` and ``bottom`` only.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2), pixels
    force : Exercise, optional
        The movement as the user says it is (``--exercise``): only the lead legs are found.
    roll_deg : float
        The camera's roll (:attr:`knee_cv.kinematics.Baseline.roll_deg`): heights are compared across the
        standing hip line, not the image's rows.
    """
    if not reps:
        return (force or Exercise.UNKNOWN), reps
    roll = roll_deg if abs(roll_deg) <= settings.max_roll_deg else 0.0
    at = level(xy[np.array([r.bottom for r in reps])], roll)
    knee_gap = (at[:, KNEE[1], 1] - at[:, KNEE[0], 1]) / leg_length   # >0: right knee lower
    ankle_gap = (at[:, ANKLE[1], 1] - at[:, ANKLE[0], 1]) / leg_length  # >0: right ankle lower
    # a rep is one-legged when the knees or the feet are far apart in height; it is a lunge when
    # the lower knee belongs to the foot that looks higher (the rear foot, further from the camera),
    # and a single-leg squat when the lifted foot's knee is lifted too. Which of the two is decided
    # among the one-legged reps, so a camera angle that blurs one cue cannot make a lunge a squat.
    knees, feet = np.abs(knee_gap), np.abs(ankle_gap)
    one_legged = ((knees > settings.lunge_knee_gap) | (feet > settings.foot_only_gap)
                  | ((feet > settings.single_leg_ankle_gap) & (knees > settings.lunge_knee_gap / 2)))
    if force is Exercise.SQUAT or (force is None and np.mean(one_legged) <= 0.5):
        return Exercise.SQUAT, reps
    # both feet planted through the descent (neither ankle moves by a quarter of the hips' drop, where a
    # single-leg squat's free foot goes down with the hips): no foot is lifted, so a lunge (a lateral one)
    start = level(xy[np.array([r.start for r in reps])], roll)
    moved = np.linalg.norm(at[:, ANKLE] - start[:, ANKLE], axis=-1) / leg_length  # (n, 2), NaN: unseen
    with np.errstate(invalid="ignore"):
        planted = (moved <= settings.planted_share * np.array([r.depth for r in reps])[:, None]).all(axis=1)
    pattern = knee_gap * ankle_gap < 0  # the lower knee on the higher foot
    lunge = pattern | planted
    lower_foot = np.where(ankle_gap > 0, 1, 0)
    if force is Exercise.LUNGE or (force is None and np.mean(lunge[one_legged]) >= 0.5):
        facing = at[:, SHOULDER[0], 0] > at[:, SHOULDER[1], 0]  # the left shoulder on the image right: from in front
        kind, lead = Exercise.LUNGE, np.where(facing & ~pattern & (feet > knees), lower_foot,
                                              np.where(knee_gap > 0, 0, 1))
    else:
        kind, lead = Exercise.SINGLE_LEG_SQUAT, lower_foot
    return kind, [dataclasses.replace(r, lead_leg=SIDES[int(s)]) for r, s in zip(reps, lead)]
