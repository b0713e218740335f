"""A guided set in live mode: a countdown after calibration, "rep 3 of 5", "set done" with a summary.

:class:`SetGuide` is a small state machine fed once per frame with the session's
state; it says what to show and speak, when to recalibrate (the other leg of a
single-leg set), and when the set is over. It holds no frames and does no I/O.
"""
from __future__ import annotations

import dataclasses
import enum
import math

from .codes import Side


class Phase(str, enum.Enum):
    CALIBRATE = "calibrate"   # standing still to measure the standing posture
    COUNTDOWN = "countdown"   # 3, 2, 1, go
    REPS = "reps"             # counting the set
    DONE = "done"             # the set's summary on screen
    FINISHED = "finished"     # every set done: live mode ends and writes its outputs


@dataclasses.dataclass(frozen=True)
class SetStep:
    """What the set says on this frame."""

    phase: Phase
    count: int                 # reps of the current set so far
    target: int
    banner: str = ""           # big text: countdown, "rep 3 of 5", "set done", the leg to stand on
    speak: str = ""            # said once, when it changes
    recalibrate: bool = False  # the session should measure the standing posture again (other leg)
    side: Side | None = None   # the standing leg of a single-leg set


class SetGuide:
    """Counts a person through ``reps`` reps, or with ``sides`` a single-leg set on each leg in turn.

    Parameters
    ----------
    reps : int
        Reps per set (per leg with ``sides``).
    sides : bool
        Single-leg: a set standing on the left leg, then one on the right.
    countdown_s, done_s : float
        Length of the countdown, and how long the summary stays up before the next leg or the end.
    task : str
        What to do, said while standing still before each set (``knee-cv screen``: the protocol's depth).
    """

    def __init__(self, reps: int, *, sides: bool = False, countdown_s: float = 3.0, done_s: float = 5.0,
                 task: str = "") -> None:
        if reps < 1:
            raise ValueError("a set needs at least one rep")
        self.reps, self.sides, self.countdown_s, self.done_s = reps, sides, countdown_s, done_s
        self.task = task
        self.legs = (Side.LEFT, Side.RIGHT) if sides else (None,)
        self.leg = 0
        self.phase, self.since, self.start_count = Phase.CALIBRATE, 0.0, 0
        self._said = ""
        self.sets: list[tuple[Side | None, int, int]] = []  # (leg, first rep number, last rep number) per set

    def update(self, t: float, calibrated: bool, count: int) -> SetStep:
        """One frame: ``count`` is the session's rep count so far (all sets)."""
        side = self.legs[self.leg]
        recal = False
        if self.phase is Phase.CALIBRATE and calibrated:
            self.phase, self.since = Phase.COUNTDOWN, t
        elif self.phase is Phase.COUNTDOWN and t - self.since >= self.countdown_s:
            self.phase, self.start_count, self.since = Phase.REPS, count, t
        elif self.phase is Phase.REPS and count - self.start_count >= self.reps:
            self.phase, self.since = Phase.DONE, t
            self.sets.append((side, self.start_count + 1, self.start_count + self.reps))
        elif self.phase is Phase.DONE and t - self.since >= self.done_s:
            if self.leg + 1 < len(self.legs):
                self.leg += 1
                side, recal = self.legs[self.leg], True
                self.phase = Phase.CALIBRATE
            else:
                self.phase = Phase.FINISHED
        done = min(max(count - self.start_count, 0), self.reps) if self.phase in (Phase.REPS, Phase.DONE) else 0
        banner = self._banner(t, side, done)
        # what to say, once per change: the banner, except while counting, when it is the number of the rep just done
        key, text = (f"rep {done}", str(done)) if self.phase is Phase.REPS and done else (banner, banner)
        speak = text if key != self._said else ""
        self._said = key
        return SetStep(self.phase, done, self.reps, banner, speak, recal, side)

    def _banner(self, t: float, side: Side | None, done: int) -> str:
        leg = f"Stand on your {side.value} leg. " if side is not None else ""
        if self.phase is Phase.CALIBRATE:
            first = (f"Now stand on your {side.value} leg" if side is not None and self.leg else
                     leg + "Stand still, facing the camera")
            return f"{first}. {self.task}" if self.task else first
        if self.phase is Phase.COUNTDOWN:
            return f"{math.ceil(self.countdown_s - (t - self.since))}"
        if self.phase is Phase.REPS:
            return "Go!" if t - self.since < 1.0 and not done else ""  # then the panel's counter says "3/5"
        if self.phase is Phase.DONE:
            return "Set done" + (f" ({side.value} leg)" if side is not None else "")
        return "All sets done"
