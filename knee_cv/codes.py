"""The closed vocabularies of knee-cv: sides, fault codes, severities and verdict states.

Every result object carries these enums; only the serializers turn them into
strings (their ``.value``), and only :mod:`knee_cv.present` turns them into words.
"""
from __future__ import annotations

import dataclasses
import enum

import numpy as np


class Side(str, enum.Enum):
    """The subject's own side (not the image side)."""

    LEFT = "left"
    RIGHT = "right"

    @property
    def index(self) -> int:
        """0 for left, 1 for right: the ``[..., side]`` axis of every per-side array."""
        return 0 if self is Side.LEFT else 1

    @classmethod
    def of_sign(cls, value: float) -> "Side | None":
        """The side a signed measure points to (positive = the subject's left); None for 0 or NaN."""
        return cls.LEFT if value > 0 else cls.RIGHT if value < 0 else None


#: Both sides in array order.
SIDES = (Side.LEFT, Side.RIGHT)


class FaultCode(str, enum.Enum):
    KNEE_VALGUS = "knee_valgus"
    KNEE_VARUS = "knee_varus"
    HIP_DROP = "hip_drop"
    ASYMMETRY = "asymmetry"

    @property
    def is_knee(self) -> bool:
        """A fault of one knee's alignment (it has a knee verdict)."""
        return self is FaultCode.KNEE_VALGUS or self is FaultCode.KNEE_VARUS


class Severity(str, enum.Enum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"

    @property
    def rank(self) -> int:
        """1, 2, 3: for ordering."""
        return _RANK[self]

    @classmethod
    def from_grade(cls, grade: int) -> "Severity":
        """From :meth:`knee_cv.settings.Threshold.grade` (1, 2 or 3)."""
        return (cls.MILD, cls.MODERATE, cls.SEVERE)[int(grade) - 1]


_RANK = {Severity.MILD: 1, Severity.MODERATE: 2, Severity.SEVERE: 3}


class MeasureKind(str, enum.Enum):
    """Which knee measure a rep is judged on (README, "What is measured")."""

    FPPA = "fppa"                                   # single-leg work, lunges and shallow squats
    DEPTH_ADJUSTED_FPPA = "depth_adjusted_fppa"     # bilateral squats deeper than the shallow limit


class ViewClass(str, enum.Enum):
    """The clip's view as a coach names it (MANIFEST.csv's ``view_class``): a front or back view with the body
    turned beyond the judged range is oblique (:func:`knee_cv.view.view_class`)."""

    FRONT = "front"
    BACK = "back"
    SIDE = "side"
    OBLIQUE_FRONT = "oblique_front"
    OBLIQUE_BACK = "oblique_back"
    UNKNOWN = "unknown"


class NotJudged(str, enum.Enum):
    """Why a knee or the hip of a rep carries no verdict."""

    SIDE_VIEW = "side_view"            # filmed from the side: no frontal-plane measure means anything
    TURNED = "turned"                  # the body is turned too far from the camera
    KNEE_HIDDEN = "knee_hidden"        # deep frames exist, but too few show this knee reliably
    FEET_HIDDEN = "feet_hidden"        # the foot (ankle or toes) out of the picture or unseen: a knee is judged on it
    TOO_FEW_FRAMES = "too_few_frames"  # the rep has too few usable frames near its bottom
    REAR_LEG = "rear_leg"              # the trailing leg of a lunge (back leg; a lateral lunge's straight leg)
    FREE_LEG = "free_leg"              # the lifted leg of a single-leg squat
    TOO_SHALLOW = "too_shallow"        # single-leg squat screen: less knee bend than the protocol asks
    SIDEWAYS = "picture_sideways"      # the person lies across the picture: a video turned without its rotation tag
    FEET_STRAIGHT = "feet_straight"    # feet straight ahead, and the verdict changes without the turned-out-feet model
    CAMERA_MOVED = "camera_moved"      # live mode: the camera or the person moved during the rep
    LEAD_LEG_UNKNOWN = "lead_leg_unknown"  # a lunge or single-leg squat filmed from behind: which leg works is unclear
    PERSON_SMALL = "person_small"      # the person's legs span too few pixels for the pose model to place the knees


class VerdictState(str, enum.Enum):
    JUDGED = "judged"
    NOT_JUDGED = "not_judged"


class WarningCode(str, enum.Enum):
    """What a warning is about, for programs reading report.json (the text is for people)."""

    VIDEO_TRUNCATED = "video_truncated"          # fewer frames readable than the file announced
    VIDEO_DAMAGED = "video_damaged"              # some stretch of the file could not be decoded
    VIDEO_TIMING = "video_timing"                # an impossible frame rate: frames timed at 30 fps
    OTHER_PERSON = "other_person"                # someone else: frames following them ignored, or beside the person
    CAMERA_CUT = "camera_cut"                    # the picture jumped (zoom or cut): later shots mapped onto the first
    CAMERA_MOVED = "camera_moved"                # the camera or the person moved, then held: later places mapped back
    CAMERA_MOVING = "camera_moving"              # the camera kept moving during the reps (handheld): depths may be off
    LOWER_BODY_HIDDEN = "lower_body_hidden"      # hips, knees and ankles never all in view
    SIDE_VIEW = "side_view"                      # the whole clip is side-on: nothing judged
    TURNED = "turned"                            # the whole clip is turned beyond the judged range
    REPS_NOT_JUDGED = "reps_not_judged"          # some reps side-on or turned
    VIEW_UNKNOWN = "view_unknown"                # front or back could not be told
    PICTURE_SIDEWAYS = "picture_sideways"        # the picture is turned 90 degrees: rotate the video
    NO_REPS = "no_reps"                          # no rep deep enough
    KNEES_HIDDEN = "knees_hidden"                # some knee-reps had too few trusted frames
    FEET_HIDDEN = "feet_hidden"                  # some knee-reps not judged: their feet were out of the picture
    PERSON_SMALL = "person_small"                # the pose model missed a small person: a crop around them was measured
    TOO_DARK = "too_dark"                        # the person is dark in the picture: landmarks may be misplaced
    KNEES_TURNED = "knees_turned"                # some knee-reps read differently with the body's turn taken out
    FEET_STRAIGHT = "feet_straight"              # some knee-reps read differently without the turned-out-feet model
    LEAD_LEG_UNKNOWN = "lead_leg_unknown"        # a lunge or single-leg squat filmed from behind: knees not judged
    CAMERA_DISCONNECTED = "camera_disconnected"  # live: the source stopped
    CALIBRATION_INCOMPLETE = "calibration_incomplete"  # live: never stood still long enough
    OTHER = "other"                              # from an older landmark file


class Notice(str):
    """A warning: its text (it *is* the string, so it prints and compares as one) and its :class:`WarningCode`."""

    code: WarningCode

    def __new__(cls, code: WarningCode, text: str) -> "Notice":
        obj = super().__new__(cls, text)
        obj.code = code
        return obj

    def __reduce__(self):  # pickles (batch workers) as code and text
        return (Notice, (self.code, str(self)))


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The outcome for one knee or the hip in one rep.

    Judged: ``severity`` is None (within range, "ok") or the worst fault's
    severity. Not judged: ``reason`` says why; there is no severity.
    """

    state: VerdictState
    severity: Severity | None = None
    reason: NotJudged | None = None

    def __post_init__(self) -> None:
        if (self.state is VerdictState.JUDGED) != (self.reason is None) or (
                self.state is VerdictState.NOT_JUDGED and self.severity is not None):
            raise ValueError(f"inconsistent verdict {self}")

    @property
    def judged(self) -> bool:
        return self.state is VerdictState.JUDGED

    @property
    def ok(self) -> bool:
        """Judged and within range. Never true for a knee that was not judged."""
        return self.judged and self.severity is None

    @classmethod
    def of(cls, severity: Severity | None) -> "Verdict":
        return cls(VerdictState.JUDGED, severity)

    @classmethod
    def not_judged(cls, reason: NotJudged) -> "Verdict":
        return cls(VerdictState.NOT_JUDGED, reason=reason)


def finite_or_none(v: float, ndigits: int | None = None) -> float | None:
    """A float for serializing: None for NaN or inf (strict JSON has neither)."""
    if v is None or not np.isfinite(v):
        return None
    return float(v) if ndigits is None else round(float(v), ndigits)
