"""When live mode speaks up: the cue policy, one object per session.

A cue is given during a rep once a fault's measure has stayed past its onset on a
few trusted frames in a row, at most once per knee and once for the hip per rep.
After the rep, the message names the main fault, more strongly when the same fault
came on several reps in a row. The words come from :mod:`knee_cv.present`.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .codes import SIDES, FaultCode, Side
from .faults import Fault, RepResult, main_fault
from .filtering import OneEuroSettings
from .present import rep_text, short_cue, streak_text
from .reps import Exercise
from .settings import FaultSettings


@dataclasses.dataclass(frozen=True)
class LiveSettings:
    """Live-only behaviour; analysis thresholds stay in :class:`knee_cv.settings.Settings`."""

    calibration_s: float = 2.5     # standing still at the start (or after the c key)
    #: the standing posture is read from the calibration's frames after this many seconds of them (at most 40 %
    #: of ``calibration_s``): MediaPipe's tracker and a person who has just stepped into view settle first
    #: (README, "Live feedback")
    calibration_settle_s: float = 1.0
    #: a closed rep is judged on analyze's zero-phase smoothing of its frames and this many seconds before it
    rep_lead_s: float = 1.0
    cue_frames: int = 3            # trusted frames past a threshold, in a row, before a cue is given
    streak_reps: int = 2           # the same fault this many reps in a row before gets a stronger message
    first_rep_depth: float = 0.5   # expected depth (fraction of leg length) until a rep has been seen
    cue_seconds: float = 2.5       # how long a cue stays on screen
    verdict_hold_s: float = 2.0    # a rep's verdict stays this long after the rep ends (the person stands) ...
    verdict_fade_s: float = 1.0    # ... then fades out over this long
    smoothing: OneEuroSettings = OneEuroSettings()


class CuePolicy:
    """Decides what to say during and after each rep.

    Call :meth:`during` on every deep frame of a rep, :meth:`after` when the rep
    closes, and :meth:`shown` for the text on screen now.
    """

    def __init__(self, live: LiveSettings, cfg: FaultSettings) -> None:
        self.live, self.cfg = live, cfg
        self.history: list[tuple[Fault, ...]] = []   # faults of each closed rep
        self.text, self.until = "", -np.inf
        self.start_rep()

    def start_rep(self) -> None:
        self.run = np.zeros(2, int)   # trusted frames in a row past the valgus onset, per knee
        self.drop_run = 0
        self.cued: set[Side | str] = set()

    def streak(self, code: FaultCode, side: Side) -> int:
        """How many of the latest closed reps in a row had this fault."""
        n = 0
        for faults in reversed(self.history):
            if not any(f.code is code and f.side is side for f in faults):
                break
            n += 1
        return n

    def _say(self, t: float, code: FaultCode, side: Side, streak: int) -> str:
        text = short_cue(code, side)
        if streak >= self.live.streak_reps:
            text = streak_text(streak + 1, text)
        self.text, self.until = text, t + self.live.cue_seconds
        return text

    def during(self, t: float, measure: np.ndarray, trusted: np.ndarray, drop_deg: float, pelvis_trusted: bool,
               exercise: Exercise) -> list[tuple[FaultCode, Side, str]]:
        """One deep frame of a rep; returns the cues to give now as ``(code, side, text)``.

        Parameters
        ----------
        measure, trusted : ndarray, shape (2,)
            The judged knee measure (degrees) and whether each knee is trusted in this frame.
        drop_deg : float
            Pelvic drop, + = left side lower.
        """
        past = trusted & (measure >= self.cfg.valgus(exercise).onset)
        self.run = np.where(past, self.run + 1, np.where(trusted, 0, self.run))
        out = []
        for side in SIDES:
            if self.run[side.index] >= self.live.cue_frames and side not in self.cued:
                self.cued.add(side)
                out.append((FaultCode.KNEE_VALGUS, side,
                            self._say(t, FaultCode.KNEE_VALGUS, side, self.streak(FaultCode.KNEE_VALGUS, side))))
        self.drop_run = self.drop_run + 1 if pelvis_trusted and abs(drop_deg) >= self.cfg.hip_drop.onset else 0
        if self.drop_run >= self.live.cue_frames and "hip" not in self.cued:
            self.cued.add("hip")
            side = Side.of_sign(drop_deg)
            out.append((FaultCode.HIP_DROP, side, self._say(t, FaultCode.HIP_DROP, side,
                                                           self.streak(FaultCode.HIP_DROP, side))))
        return out

    def after(self, t: float, result: RepResult) -> str:
        """A rep closed: the message for it (a cue, "Good rep", or why it was not judged)."""
        worst = main_fault(result.faults)
        streak = self.streak(worst.code, worst.side) if worst else 0
        self.history.append(tuple(result.faults))
        self.start_rep()
        if worst is None:
            return rep_text(result.faults, result.knee_verdicts, result.hip_verdict)[0]
        return self._say(t, worst.code, worst.side, streak)

    def note(self, t: float, text: str) -> None:
        """Show ``text`` in the cue's place for ``live.cue_seconds`` (news about the session, not about a rep)."""
        self.text, self.until = text, t + self.live.cue_seconds

    def shown(self, t: float) -> str:
        """The cue on screen at time ``t`` ('' once it has expired)."""
        return self.text if t <= self.until else ""
