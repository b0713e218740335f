"""Every word and colour a user sees, in one place, so that no two outputs can disagree.

The terminal, report.pdf, the annotated video, the live window and the batch
summary all take their verdict texts, fault phrases, cues, streak messages and
colours from here; the per-frame overlay model (which knee line is red, what the
banner says) is built here too, so the drawing code only draws.
"""
from __future__ import annotations

import collections
import dataclasses
import enum
from typing import NamedTuple

import numpy as np

from .codes import SIDES, FaultCode, MeasureKind, NotJudged, Severity, Side, Verdict, ViewClass
from .faults import outside_toe
from .view import UPSIDE_DOWN_DEG


# --- colours ------------------------------------------------------------------------

class Colour(NamedTuple):
    """One colour in the three forms the outputs need."""

    hex: str          # PDF (matplotlib)
    ansi: str         # terminal SGR code
    bgr: tuple[int, int, int]  # OpenCV


class Tone(enum.Enum):
    """What a colour means; every verdict maps to exactly one."""

    OK = Colour("#b7e4b7", "32", (60, 200, 60))
    MILD = Colour("#fff0a0", "33", (0, 215, 255))
    MODERATE = Colour("#ffc36b", "33;1", (0, 140, 255))
    SEVERE = Colour("#ff8a80", "31;1", (40, 40, 230))
    NOT_JUDGED = Colour("#e0e0e0", "2", (170, 170, 170))


_SEVERITY_TONE = {None: Tone.OK, Severity.MILD: Tone.MILD, Severity.MODERATE: Tone.MODERATE,
                  Severity.SEVERE: Tone.SEVERE}


def tone(v: Verdict) -> Tone:
    """The colour of a verdict: grey when not judged, never green."""
    return _SEVERITY_TONE[v.severity] if v.judged else Tone.NOT_JUDGED


# --- words ----------------------------------------------------------------------------

#: Why a knee or hip was not judged: (short label, what to do about it or None).
REASONS: dict[NotJudged, tuple[str, str | None]] = {
    NotJudged.SIDE_VIEW: ("side view", "turn to face the camera"),
    NotJudged.TURNED: ("body turned", "face the camera squarely"),
    NotJudged.KNEE_HIDDEN: ("knee hidden", "keep the hands and arms away from the knees"),
    NotJudged.FEET_HIDDEN: ("feet out of view", "step back so both feet are in view"),
    NotJudged.TOO_FEW_FRAMES: ("too few clear frames", "move a little slower at the bottom"),
    NotJudged.REAR_LEG: ("trailing leg", None),  # a forward lunge's back leg, a lateral lunge's straight leg
    NotJudged.FREE_LEG: ("free leg", None),
    NotJudged.TOO_SHALLOW: ("too shallow", "bend the knee to 45-60 degrees"),
    NotJudged.SIDEWAYS: ("picture sideways", "rotate the video upright"),
    NotJudged.FEET_STRAIGHT: ("feet straight", "turn the feet out a little"),
    NotJudged.CAMERA_MOVED: ("camera moved", "keep the camera still"),
    NotJudged.LEAD_LEG_UNKNOWN: ("lead leg unknown", "film from the front, or name the exercise"),
    NotJudged.PERSON_SMALL: ("person too small", "film closer"),
}

#: Whole-sentence descriptions of each fault (reports, PDF findings).
FAULT_WORDS: dict[FaultCode, str] = {
    FaultCode.KNEE_VALGUS: "knee collapses inward (valgus)",
    FaultCode.KNEE_VARUS: "knee bows outward (varus)",
    FaultCode.HIP_DROP: "hip drops on one side",
    FaultCode.ASYMMETRY: "left and right knees move differently",
}

#: Short forms for the video, the live window and per-rep lines.
FAULT_SHORT: dict[FaultCode, str] = {
    FaultCode.KNEE_VALGUS: "knee caves in",
    FaultCode.KNEE_VARUS: "knee bows out",
    FaultCode.HIP_DROP: "hip drops",
    FaultCode.ASYMMETRY: "knees uneven",
}

#: The cue said or shown during a rep, with ``{side}`` filled in.
SHORT_CUE: dict[FaultCode, str] = {
    FaultCode.KNEE_VALGUS: "Push your {side} knee out over your second toe",
    FaultCode.KNEE_VARUS: "Let your {side} knee track over the middle of the foot",
    FaultCode.HIP_DROP: "Keep your hips level",
    FaultCode.ASYMMETRY: "Even out left and right",
}

GOOD_REP = "Good rep"

#: What the judged knee measure of a rep is, in a physical therapist's words.
MEASURE_WORDS = {MeasureKind.FPPA: "FPPA", MeasureKind.DEPTH_ADJUSTED_FPPA: "Depth-adjusted FPPA"}

#: Live guidance when a frame cannot be used, by what is wrong.
GUIDANCE = {
    "dark": "More light, please",
    "no_person": "Step into view, 2-3 m from the camera",
    "feet": "Step back so your feet are in view",
    "turn": "Turn to face the camera",
    "beside": "Someone beside you: only one person is followed",
}

#: Live mode, when the person stands still elsewhere in the picture than at calibration (:mod:`knee_cv.place`).
MOVED = "Camera or place moved: standing posture measured again"
#: Live mode, when the body jumped further than a person can move: the pose model follows someone else
#: (:mod:`knee_cv.people`), so the standing posture is measured again on whoever is in view.
SOMEONE_ELSE = "Someone else in view"


def moved_text(at: str) -> str:
    """The ``camera_moved`` warning: the camera or the person moved at ``at`` and the person stood still again."""
    return (f"the camera or the person moved at {at} and stood still again elsewhere in the picture: later frames "
            "were mapped back onto the first place, so depths read as if nothing had moved")


def other_person_text(other: np.ndarray, t: np.ndarray) -> str:
    """The ``other_person`` warning: the frames ``other`` (T,) bool, at times ``t`` (T,) s, showed someone else."""
    edges = np.flatnonzero(np.diff(np.r_[0, other.astype(np.int8), 0]))
    spans = [(t[a], t[b - 1]) for a, b in zip(edges[::2], edges[1::2])]
    at = ", ".join(f"{a:.1f} s" if b - a < 0.05 else f"{a:.1f}-{b:.1f} s" for a, b in spans[:3])
    more = f" and {len(spans) - 3} more" if len(spans) > 3 else ""
    return (f"{int(other.sum())} frames ({at}{more}) showed someone else, where the body jumped further across the "
            "picture than a person can move, and were ignored: the person filmed longest is the one screened; "
            "keep one person in the picture")


def moving_text(drift: float) -> str:
    """The ``camera_moving`` warning: the planted feet moved ``drift`` leg lengths up and down in the picture."""
    return (f"the camera kept moving during the reps: the planted feet moved {drift:.2f} leg lengths up and down "
            f"in the picture, and every depth with them (about {120 * drift:.0f} deg of the squat measure), so "
            "the verdicts may be off; film from a tripod or a phone propped still")


def warning_words(codes: list[str]) -> str:
    """A batch line's tail naming a video's warnings by their codes (``; warnings: too dark, person small``), or
    nothing; the report says more."""
    return f"; {'warning' if len(codes) == 1 else 'warnings'}: {', '.join(c.replace('_', ' ') for c in codes)}" \
        if codes else ""


def too_small_text(leg_px: float, min_px: float) -> str:
    """The ``person_small`` warning of a person too small to judge: standing legs of ``leg_px`` pixels, under
    ``min_px``."""
    return (f"the person's standing legs span only {leg_px:.0f} px in the video (under {min_px:.0f}): at that size "
            "the pose model places the knees several degrees off, mostly toward valgus, so no knee or hip was "
            "judged; film closer, so the whole body fills most of the picture's height")


def crop_words(crop: str | None) -> str:
    """How the terminal and the PDF say, after what was filmed, that only a part of the picture was analyzed
    (``--crop``): ", only the crop W:H:X:Y of the picture"; "" for the whole picture."""
    return f", only the crop {crop} of the picture" if crop else ""


def beside_text(others) -> str:
    """The ``other_person`` warning for someone else beside the person judged (:class:`knee_cv.others.Others`)."""
    c = others.crop()
    w, h = c.size
    where = {"left": "at the left of", "right": "at the right of", "above": "above", "below": "below"}[others.side]
    judged = {"left": "right", "right": "left", "above": "lower", "below": "upper"}[others.side]
    return (f"another person (or a mirror image) was in the picture at the same time, {where} the person judged "
            f"and about their size (in {others.seen} of {others.looked} frames looked at: a split-screen comparison, "
            f"a partner, a class): knee-cv judges one person, here the {judged} one; to judge the other, run it "
            f"again with --crop {w}:{h}:{c.x0}:{c.y0}")


def beside_live_text(seen: int, looked: int) -> str:
    """Live mode's ``other_person`` warning: someone beside the person at ``seen`` of ``looked`` calibrations."""
    return (f"another person (or a mirror image) stood beside the person when the standing posture was measured "
            f"({seen} of {looked} times): knee-cv followed one person; train alone in the picture")


def small_person_text(before: float, after: float, leg_share: float, leg_px: float, *, searched: bool) -> str:
    """The ``person_small`` warning: the pose model found the person in ``before`` of the frames (a share), in
    ``after`` on a crop around them; their standing legs were ``leg_share`` of the picture's long side, ``leg_px``
    pixels. ``searched``: they were looked for in parts of the picture (else: found, but measured too coarsely)."""
    size = f"standing legs {leg_share:.0%} of its long side, {leg_px:.0f} px"
    how = (f"{size}; the pose model finds a person from about 8%): it found them in {before:.0%} of the frames, so "
           f"knee-cv looked for them in parts of the picture and measured a crop around them, found in {after:.0%}"
           if searched else f"{size}): knee-cv measured a crop around them at the video's full resolution")
    return (f"the person was small in the picture ({how}; a person this small can read a few degrees toward valgus; "
            "film closer, so the whole body fills most of the picture's height")


LEGEND = ("green: knee on track   red: flagged", "grey: not judged   hollow: knee hidden")

#: The same key for the live window's panel: "Knee:", then each knee mark as drawn and its words
#: (words, tone, hollow).
KNEE_KEY = (("on track", Tone.OK, False), ("flagged", Tone.SEVERE, False),
            ("not judged", Tone.NOT_JUDGED, False), ("hidden", Tone.NOT_JUDGED, True))


def printable(text: str) -> str:
    """User text (file names) safe to print: control characters shown as escapes, never sent to the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def csv_cell(value):
    """A spreadsheet-safe CSV cell: text starting with = + - @ (a formula to Excel and LibreOffice) gets a
    leading apostrophe; numbers pass unchanged."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


NOT_JUDGED = "not judged"

#: The cue and a flagged hip line in the video and live window (BGR): amber, apart from the verdict tones.
CUE_BGR = (0, 190, 255)


def damaged_text(gaps, frames: int | None = None) -> str:
    """The warning for damaged stretches skipped in a video (:class:`knee_cv.video.Gap`), with their times."""
    spans = ", ".join(f"{g.after_s:.2f}-{g.before_s:.2f} s" for g in gaps[:5]) + (" ..." if len(gaps) > 5 else "")
    lost = f"; about {frames} frames" if frames is not None else ""
    return (f"damaged video: {len(gaps)} stretch(es) could not be decoded and were skipped (between {spans}{lost}); "
            "the rest was analyzed")


def truncated_text(read: int, announced: int) -> str:
    """The warning for a video that ends before its announced length."""
    return (f"video ends early: only {read} of the {announced} announced frames were readable (file cut off?); "
            "analyzed what was there")


def rotation_hint(axis_deg: float) -> str:
    """The warning for a sideways picture, saying which way to turn it (``axis_deg``: the body's long axis,
    :func:`knee_cv.view.body_axis_deg`, + = head toward the image right)."""
    if abs(axis_deg) > UPSIDE_DOWN_DEG:  # a quarter turn would leave the person lying across the picture
        return ("the picture is upside down (the person's head is at its bottom): the video was probably filmed "
                "with the phone upside down and lost its rotation tag, so nothing is judged; rotate it 180 degrees "
                "and analyze again (for example: ffmpeg -i in.mp4 -vf hflip,vflip upright.mp4)")
    right = axis_deg > 0
    way, flag = ("counter-clockwise", "transpose=2") if right else ("clockwise", "transpose=1")
    side = "right" if right else "left"
    return (f"the picture is turned sideways (the person lies across it, head to the image {side}"
            "): the video was probably filmed with the phone on its side and lost its rotation tag, so nothing is "
            f"judged; rotate it 90 degrees {way} and analyze again (for example: ffmpeg -i in.mp4 -vf {flag} "
            "upright.mp4)")


def view_words(vc: ViewClass, turn: float | None = None, *, noun: bool = True) -> str:
    """The clip's view as every output prints it: "front view", "oblique front view (body turned 39°)";
    ``noun=False`` drops "view" (after a "View:" label). The turn is shown for oblique views only."""
    words = vc.value.replace("_", " ") + (" view" if noun else "")
    if vc in (ViewClass.OBLIQUE_FRONT, ViewClass.OBLIQUE_BACK) and turn is not None and np.isfinite(turn):
        words += f" (body turned {abs(turn):.0f}°)"
    return words


def exercise_words(exercise, reps) -> str:
    """The exercise as every output names it: "squat", "lunge", "single leg squat", or "lunge or single leg
    squat" when no rep of one-legged work has a lead leg (filmed from behind and not named: the two are not told
    apart there, :func:`knee_cv.view.unknown_leads`). ``reps``: :class:`knee_cv.faults.RepResult` list."""
    if exercise.one_legged and reps and all(r.rep.lead_leg is None for r in reps):
        return "lunge or single leg squat"
    return exercise.value.replace("_", " ")


def verdict_word(v: Verdict) -> str:
    """``ok``, ``mild``, ``moderate``, ``severe`` or ``not judged``."""
    if not v.judged:
        return NOT_JUDGED
    return "ok" if v.severity is None else v.severity.value


def reason_label(reason: NotJudged) -> str:
    return REASONS[reason][0]


def reason_words(code: str | None) -> str:
    """The short label of a stored reason code (``turned`` -> ``body turned``), for sessions read back from
    the history database or a report.json; a code this version does not know is shown as it is."""
    try:
        return reason_label(NotJudged(code))
    except ValueError:
        return str(code or "no reason recorded")


def verdict_cell(v: Verdict) -> str:
    """A table cell: the verdict, or a dash and why it was not judged (``– knee hidden``)."""
    return verdict_word(v) if v.judged else f"– {reason_label(v.reason)}"


def not_judged_text(reason: NotJudged) -> str:
    """``not judged: turn to face the camera`` (the fix where there is one, else the reason)."""
    label, fix = REASONS[reason]
    return f"{NOT_JUDGED}: {fix or label}"


def fault_phrase(code: FaultCode, side: Side) -> str:
    """``right knee collapses inward (valgus)``; asymmetry names the worse side in brackets."""
    if code is FaultCode.ASYMMETRY:
        return f"{FAULT_WORDS[code]} ({side.value} worse)"
    return f"{side.value} {FAULT_WORDS[code]}"


def fault_short(code: FaultCode, side: Side, severity: Severity) -> str:
    """``Right knee caves in: moderate``."""
    return f"{side.value.capitalize()} {FAULT_SHORT[code]}: {severity.value}"


def short_cue(code: FaultCode, side: Side | None) -> str:
    """The one-line cue for a fault on a side, e.g. "Push your right knee out over your second toe"."""
    return SHORT_CUE[code].format(side=side.value if side else "")


def streak_text(reps_in_a_row: int, cue: str) -> str:
    """The stronger message for a fault seen on several reps in a row."""
    return f"Again ({reps_in_a_row} reps in a row): {cue}"


def signed(value: float, unit: str) -> str:
    """``+12.3 deg``: every printed measure carries its sign (+ = toward the fault)."""
    return f"{value:+.1f} {unit}"


def picture_values(measure: np.ndarray, verdicts) -> tuple[str, ...]:
    """The knee measures printed on a rep's picture (the PDF's deepest moment): ``L: +12.3 deg`` for a judged
    knee, ``R: – feet out of view`` for one not judged (its frame's number, perhaps one no knee can bend to, is
    no verdict). ``measure``: shape (2,), degrees, that frame's; ``verdicts``: the rep's (left, right)."""
    return tuple(f"{s.value[0].upper()}: " + (signed(float(m), "deg") if v.judged else verdict_cell(v))
                 for s, m, v in zip(SIDES, measure, verdicts))


def outside_toe_notes(result, cfg) -> list[str]:
    """Why a judged knee reads ok with its measure past the valgus onset: it stayed outside its second toe
    (:func:`knee_cv.faults.outside_toe`). Without this note its number in the red band beside "ok" reads as
    a contradiction.

    Parameters
    ----------
    result : knee_cv.faults.RepResult
    cfg : knee_cv.settings.FaultSettings
    """
    onset = cfg.valgus_for(result.measure_kind).onset
    return [f"{side.value} knee {signed(m.valgus_measure_deg, 'deg')} is past the valgus onset "
            f"({signed(onset, 'deg')}) but stayed outside its second toe ({signed(m.knee_toe_medial_pct, '%')} "
            "of leg): not valgus"
            for side, m, out in zip(SIDES, result.sides, outside_toe(result, cfg)) if out]


class NoFault(NamedTuple):
    """What a clip without a flagged fault says (terminal, the PDF's findings and its plan): a heading, a
    sentence, and their colour (None: plain text)."""

    head: str
    body: str
    tone: Tone | None

    def body_sentence(self) -> str:
        """The body as a sentence of its own (``Body turned (...); the hip showed no fault.``), or ""."""
        return f"{self.body[:1].upper()}{self.body[1:]}." if self.body else ""

    def sentence(self) -> str:
        """``No knee was judged. Body turned (...); the hip showed no fault.``"""
        return f"{self.head}. {self.body_sentence()}".rstrip()


#: The knees that are never judged by design (a lunge's trailing leg, a single-leg squat's free leg).
_BY_DESIGN = (NotJudged.REAR_LEG, NotJudged.FREE_LEG)


def no_fault_words(reps) -> NoFault:
    """Words for a clip where nothing was flagged, from its :class:`knee_cv.faults.RepResult` list: "No faults
    found" (green) only when every knee that can be judged was; otherwise how many knee-reps were not judged,
    or, when none was, why and what to do, so that "no fault" is never said of knees nobody judged."""
    if not reps:
        return NoFault("No reps were detected", "", Tone.NOT_JUDGED)
    knees = [v for r in reps for v in r.knee_verdicts if v.judged or v.reason not in _BY_DESIGN]
    unjudged = [v for v in knees if not v.judged]
    hip = any(r.hip_verdict.judged for r in reps)
    if not any(v.judged for v in knees):
        if not hip or not unjudged:
            return NoFault("Nothing was judged", "see the notes", Tone.NOT_JUDGED)
        label, fix = REASONS[collections.Counter(v.reason for v in unjudged).most_common(1)[0][0]]
        return NoFault("No knee was judged", f"{label}{f' ({fix}, then film again)' if fix else ''}; the hip "
                       "showed no fault", Tone.NOT_JUDGED)
    if unjudged:
        return NoFault("No faults found in the judged reps",
                       f"{len(unjudged)} of {len(knees)} knee-reps were not judged (see the notes)", None)
    return NoFault("No faults found", "keep practising the pattern: knees track over the second and third toes, "
                   "hips level", Tone.OK)


def rep_text(faults, knees: tuple[Verdict, Verdict], hip: Verdict) -> tuple[str, Tone]:
    """One line for a rep and its colour: the flagged faults, else ``Good rep``, else why it was not judged.

    A rep is only "good" when both knees (or the judged leg) were judged; a knee
    that was not judged is named as such.
    """
    shown = [f for f in faults if f.code is not FaultCode.ASYMMETRY]
    parts = [(s, v) for s, v in zip(SIDES, knees)
             if v.judged or v.reason not in _BY_DESIGN]
    missing = [f"{s.value} knee ({reason_label(v.reason)})" for s, v in parts if not v.judged]
    if len(missing) == 2 and parts[0][1].reason is parts[1][1].reason:  # said once: the line must fit a live panel
        missing = [f"both knees ({reason_label(parts[0][1].reason)})"]
    if shown:  # a knee not judged beside a flagged one is named too: silence would read as "that one was fine"
        w = max(shown, key=lambda f: f.severity.rank)
        text = "; ".join(fault_short(f.code, f.side, f.severity) for f in shown)
        return text + (f"; {NOT_JUDGED}: " + ", ".join(missing) if missing else ""), _SEVERITY_TONE[w.severity]
    if not any(v.judged for _, v in parts) and not hip.judged:
        reason = next((v.reason for _, v in parts), hip.reason)
        return not_judged_text(reason).capitalize(), Tone.NOT_JUDGED
    if missing:
        return f"No fault seen; {NOT_JUDGED}: " + ", ".join(missing), Tone.NOT_JUDGED
    return GOOD_REP, Tone.OK


# --- the per-frame overlay model --------------------------------------------------------

class KneeMark(enum.IntEnum):
    """How a knee is drawn in one frame."""

    HIDDEN = 0      # not trusted here: hollow, no knee-over-toe line
    NEUTRAL = 1     # seen, but not judged in this frame (outside a rep, or the knee is not judged)
    OK = 2          # judged, on track
    FLAGGED = 3     # judged, past the fault's onset, in a rep flagged for it


@dataclasses.dataclass(frozen=True)
class Overlay:
    """What to show on one frame; :class:`knee_cv.render.LowerBodyAnnotator` draws it."""

    knees: tuple[KneeMark, KneeMark] = (KneeMark.HIDDEN, KneeMark.HIDDEN)
    pelvis_flagged: bool = False
    rep: int = 0
    verdict: str = ""
    verdict_tone: Tone = Tone.NOT_JUDGED
    cue: str = ""
    values: tuple[str, ...] = ()
    banner: str = ""
    big_cue: bool = False  # live mode: the cue in large type, wrapped over lines
    legend: bool = True


@dataclasses.dataclass(frozen=True)
class OverlayModel:
    """Per-frame overlay state of a finished analysis, as arrays; :meth:`at` makes one frame's :class:`Overlay`.

    Attributes
    ----------
    knees : ndarray, shape (T, 2), int8
        :class:`KneeMark` per frame and side.
    pelvis : ndarray, shape (T,), bool
        The hip line is flagged (a hip-drop rep, past the onset).
    rep_of : ndarray, shape (T,), int
        Rep number of each frame, 0 outside reps.
    texts : tuple of (str, Tone, str)
        Verdict line, its tone and the cue of each rep (index 0: outside reps).
    """

    knees: np.ndarray
    pelvis: np.ndarray
    rep_of: np.ndarray
    texts: tuple[tuple[str, Tone, str], ...]

    @classmethod
    def from_analysis(cls, analysis) -> "OverlayModel":
        from .faults import main_fault, plausible_frames

        n, m, cfg = len(analysis.track), analysis.metrics, analysis.settings.faults
        # hollow where the knee is untrusted or its measure is one no body produces (never judged either)
        seen = np.zeros((n, 2), bool) if m is None else \
            m.knee_trusted & plausible_frames(analysis.valgus_measure, m.t, m.knee_trusted, analysis.exercise, cfg)
        knees = np.where(seen, KneeMark.NEUTRAL, KneeMark.HIDDEN).astype(np.int8)
        pelvis, rep_of = np.zeros(n, bool), np.zeros(n, int)
        texts = [("", Tone.NOT_JUDGED, "")]
        for r in analysis.reps:
            onset = cfg.valgus_for(r.measure_kind).onset
            sl = slice(r.rep.start, r.rep.end + 1)
            rep_of[sl] = r.rep.index
            for s in SIDES:
                if not r.knee_verdicts[s.index].judged:
                    continue
                frames = r.sides[s.index].judged_frames
                flagged = any(f.code is FaultCode.KNEE_VALGUS and f.side is s for f in r.faults)
                past = flagged & (analysis.valgus_measure[frames, s.index] >= onset)
                knees[frames, s.index] = np.where(past, KneeMark.FLAGGED, KneeMark.OK)
            if r.hip_verdict.severity is not None:
                with np.errstate(invalid="ignore"):
                    pelvis[sl] = np.abs(m.pelvic_drop_deg[sl]) >= cfg.hip_drop.onset
            text, t = rep_text(r.faults, r.knee_verdicts, r.hip_verdict)
            worst = main_fault(r.faults)
            texts.append((text, t, short_cue(worst.code, worst.side) if worst else ""))
        return cls(knees, pelvis, rep_of, tuple(texts))

    def at(self, i: int) -> Overlay:
        k = int(self.rep_of[i])
        text, t, cue = self.texts[k] if k < len(self.texts) else self.texts[0]
        return Overlay((KneeMark(int(self.knees[i, 0])), KneeMark(int(self.knees[i, 1]))), bool(self.pelvis[i]), k,
                       text, t, cue)


#: How to film, one line per rule: the README, ``knee-cv guide``, --help, the pre-check and the PDF all say it so.
FILMING_GUIDE = (
    ("front", "Film from the front: the person faces the camera squarely (knees are judged up to 30 degrees of "
              "body turn; a side view shows nothing of the knees' inward collapse)."),
    ("distance", "Stand 2-3 m from the camera, so the whole body, head to feet, fills most of the picture's height "
                 "(from nearer, a wide lens makes a caving knee read smaller)."),
    ("height", "Put the camera at knee-to-hip height (about 50-90 cm), level, not tilted up or down (from higher "
               "up a lunge's or single-leg squat's caving knee, and a hip drop, can be missed)."),
    ("still", "Keep the camera still (a tripod or a shelf) and film in one shot: depth is read from the picture."),
    ("feet", "Keep both feet in view the whole time, floor included: the knee is judged against the toes."),
    ("hands", "Hold the hands away from the knees (on the hips, crossed on the chest, or out in front)."),
    ("pace", "Move at a steady pace, about 2 s a rep: in a rep of a second the knees have few frames near the "
             "bottom and may not be judged."),
    ("light", "Film in good light, with the light behind the camera, not behind the person."),
    ("alone", "Only the person being checked in the picture: nobody walking behind."),
)


def filming_line(key: str) -> str:
    """One rule of :data:`FILMING_GUIDE` by its key (``front``, ``feet``, ``light`` ...)."""
    return dict(FILMING_GUIDE)[key]


#: How the history and comparison name the parts they track.
PART_WORDS = {"left": "left knee", "right": "right knee", "hip": "hip"}


def number(value: float | None) -> str:
    """A tracked value for tables: ``+7.1``, or a dash when there is none."""
    return "–" if value is None or value != value else f"{value:+.1f}"


def count(n: int, noun: str) -> str:
    """``1 rep``, ``2 reps``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def share(value: float | None) -> str:
    """A share of reps for tables: ``40%``, or a dash when nothing was judged."""
    return "–" if value is None else f"{value:.0%}"


#: The live window's keys, on screen (hidden with h) and in ``live --help``.
LIVE_KEYS = "keys: q quit, c recalibrate, r reset count, s snapshot, f full screen, h hide keys"


def set_summary(results) -> tuple[str, ...]:
    """A finished set in a few lines: per knee, reps flagged and the worst value; the hip's flagged reps."""
    lines = []
    for side in SIDES:
        judged = [r for r in results if r.knee_verdicts[side.index].judged]
        unjudged = collections.Counter(r.knee_verdicts[side.index].reason for r in results
                                       if not r.knee_verdicts[side.index].judged)
        if not judged:  # why, as everywhere: the commonest reason
            why = reason_label(unjudged.most_common(1)[0][0])
            lines.append(f"{side.value.capitalize()} knee: {NOT_JUDGED} ({why})")
            continue
        flagged = sum(not r.knee_verdicts[side.index].ok for r in judged)
        worst = max(r.sides[side.index].valgus_measure_deg for r in judged)
        rest = sum(unjudged.values())
        lines.append(f"{side.value.capitalize()} knee: {flagged} of {len(judged)} reps flagged"
                     + (f" ({rest} not judged)" if rest else "") + f", worst {signed(worst, 'deg')}")
    hips = [r for r in results if r.hip_verdict.judged]
    lines.append(f"Hip: {sum(not r.hip_verdict.ok for r in hips)} of {len(hips)} reps flagged" if hips
                 else f"Hip: {NOT_JUDGED}")
    return tuple(lines)


#: The cause hint in words (always a hint: the PDF and terminal say so).
DRIVER_WORDS = {"hip": "mostly from the hip (the thigh tilts in)",
                "foot": "mostly from the shank and foot (the shin tips in over the foot)",
                "mixed": "from both the hip and the shank", "not_clear": "not clear"}
#: The same, short, for table cells (the PDF's rep numbers).
DRIVER_SHORT = {"hip": "hip", "foot": "shank, foot", "mixed": "hip and shank", "not_clear": "not clear"}


#: Where a single-leg squat screen places a leg (knee_cv.screen.band_of) and its left-right difference.
BAND_WORDS = {"below": "below the control range (the knee stays out, toward varus)",
              "control": "within the control range (mean ± 1 SD)",
              "above": "above the control range, within 1 SD of the patellofemoral-pain group's mean",
              "pfp": "at or above the patellofemoral-pain group's mean", "none": "no judged reps"}
DIFFERENCE_WORDS = {"above": "larger than the smallest detectable difference: a real left-right difference",
                    "borderline": "within the smallest detectable difference's range: possibly noise",
                    "within": "smaller than the smallest detectable difference: may be noise",
                    "none": "needs judged reps on both legs"}

REFERENCE_WORDS = {"clean_reps": "against this knee's reps without valgus",
                   "standing": "against standing (all its judged reps flagged; a squatting knee moves out from "
                               "standing anyway)"}


def _whole(value: float) -> str:
    """A signed whole number that never prints as "-0" ("n/a" when not measured)."""
    return f"{int(round(value)):+d}" if np.isfinite(value) else "n/a"


def cause_text(side: Side, hint) -> str:
    """``right knee: mostly from the hip (the thigh tilts in): knee in +8 % of leg relative to the hip, +2 %
    relative to the ankle (thigh +9.1 deg, shank +2.0 deg), heel rise +0 % of leg, foot turned out +1 deg,
    against this knee's reps without valgus``."""
    return (f"{side.value} knee: {DRIVER_WORDS[hint.driver.value]}: knee in {_whole(hint.thigh_pct)} % of leg "
            f"relative to the hip, {_whole(hint.shank_pct)} % relative to the ankle "
            f"(thigh {number(hint.thigh_deg)} deg, shank {number(hint.shank_deg)} deg), "
            f"heel rise {_whole(hint.heel_rise_pct)} % of leg"
            + (f", foot turned out {_whole(hint.foot_turn_deg)} deg" if np.isfinite(hint.foot_turn_deg) else "")
            + f", {REFERENCE_WORDS[hint.reference.value]}")
