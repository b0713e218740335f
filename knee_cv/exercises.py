"""Corrective exercises, cues and safety advice, as data with their sources.

Sources are the documents in ``shared/domain/`` (file names below). Dosage hints
are conservative starting points; the documents give no exact sets or reps.
"""
from __future__ import annotations

import dataclasses

from .codes import FaultCode, Severity, Side

VALGUS_DOC = "knee-valgus-causes-and-corrective-exercises.txt"
HIP_DOC = "hip-alignment-and-knee-health.txt"
REALIGN_DOC = "knee-realignment-functional-alignment.txt"
COACH_DOC = "knee-valgus-coach-notes.txt"


@dataclasses.dataclass(frozen=True)
class Drill:
    """A corrective exercise from the source documents (not to be confused with the movement analyzed,
    :class:`knee_cv.reps.Exercise`)."""

    name: str
    kind: str  # strength | mobility | control | cue
    how: str
    dose: str
    why: str
    source: str
    faults: tuple[FaultCode, ...]


LIBRARY: tuple[Drill, ...] = (
    Drill("Banded clamshell", "strength",
          "Lie on your side, knees bent, band looped around the knees; keep the feet together and lift the top knee.",
          "2-3 sets of 12-15 per side", "Strengthens gluteus medius, the hip abductor and external rotator that "
          "stops the thigh rolling in and the knee collapsing.", VALGUS_DOC,
          (FaultCode.KNEE_VALGUS, FaultCode.HIP_DROP, FaultCode.ASYMMETRY)),
    Drill("Banded side steps", "strength",
          "Band around the ankles or thighs; in a slight squat, step sideways keeping the band taut.",
          "2-3 sets of 10-15 steps each way", "Trains the hip abductors to resist the inward pull on the knee "
          "while standing on the leg.", VALGUS_DOC, (FaultCode.KNEE_VALGUS, FaultCode.HIP_DROP)),
    Drill("Side-lying leg raise", "strength",
          "Lie on your side, top leg straight; lift it toward the ceiling keeping the hips stacked.",
          "2-3 sets of 12-15 per side", "Activates the hip abductors that keep the pelvis level and the knee aligned.",
          HIP_DOC, (FaultCode.KNEE_VALGUS, FaultCode.HIP_DROP, FaultCode.ASYMMETRY)),
    Drill("Glute bridge", "strength",
          "On your back, knees bent, feet flat; lift the hips squeezing the glutes, knees pointing over the feet.",
          "2-3 sets of 10-15", "Strengthens gluteus maximus and the posterior chain, supporting pelvic alignment.",
          HIP_DOC, (FaultCode.KNEE_VALGUS, FaultCode.HIP_DROP, FaultCode.KNEE_VARUS)),
    Drill("Single-leg deadlift", "strength",
          "Hinge at the hip on one leg, reaching the free leg back; keep the pelvis square and the knee over the foot.",
          "2-3 sets of 8 per side, slow", "Challenges the hip to hold neutral alignment on one leg.",
          VALGUS_DOC, (FaultCode.KNEE_VALGUS, FaultCode.HIP_DROP, FaultCode.ASYMMETRY)),
    Drill("Half-kneeling hip flexor stretch", "mobility",
          "Kneel on one knee, squeeze that side's glute and gently push the hips forward.",
          "2-3 holds of 30 s per side", "Lengthens tight hip flexors, which pull the thigh into internal rotation "
          "and tilt the pelvis.", VALGUS_DOC, (FaultCode.KNEE_VALGUS, FaultCode.HIP_DROP)),
    Drill("Calf and ankle mobility", "mobility",
          "Gastrocnemius and soleus stretches against a wall; ankle circles and controlled ankle rotations.",
          "2 holds of 30 s per muscle; 10 circles each way", "Tight calves and limited dorsiflexion make the knee "
          "cave to find depth; freeing the ankle removes that compensation.", COACH_DOC, (FaultCode.KNEE_VALGUS,)),
    Drill("Single-leg balance", "control",
          "Stand on one leg with the knee soft and over the second toe; progress to eyes closed or a pillow.",
          "3 × 30 s per leg", "Improves the brain-muscle communication that holds the knee in line.",
          REALIGN_DOC, (FaultCode.KNEE_VALGUS, FaultCode.HIP_DROP, FaultCode.ASYMMETRY, FaultCode.KNEE_VARUS)),
    Drill("Banded squat (band above the knees)", "control",
          "Squat with a mini-band just above the knees and keep pushing the knees out against it.",
          "2-3 sets of 10", "The band is a constant sensory cue that retrains the knee-out pattern.",
          VALGUS_DOC, (FaultCode.KNEE_VALGUS,)),
    Drill("Hamstring and IT band work", "mobility",
          "Standing or lying hamstring stretch; cross one leg behind the other and lean away, or foam-roll the "
          "outer thigh.", "2 holds of 30 s per side", "Tightness on the outside of the thigh pulls the knee "
          "outward; balancing it helps the knee track over the mid-foot.", REALIGN_DOC, (FaultCode.KNEE_VARUS,)),
    Drill("Goblet squat to a box, knees over mid-foot", "control",
          "Hold a weight at the chest and squat to a box, watching that the knees track over the second and "
          "third toes, neither in nor out.", "2-3 sets of 8-10", "Practises the target pattern under light load.",
          REALIGN_DOC, (FaultCode.KNEE_VARUS, FaultCode.KNEE_VALGUS)),
)

@dataclasses.dataclass(frozen=True)
class Cue:
    """What to think while moving, and the document it comes from."""

    text: str
    source: str


#: What the user should think while moving, per fault.
CUES: dict[FaultCode, tuple[Cue, ...]] = {
    FaultCode.KNEE_VALGUS: (Cue("Knee over the second toe", VALGUS_DOC),
                            Cue("Screw your hips into the ground", COACH_DOC),
                            Cue("Push the knees out against the band", VALGUS_DOC)),
    FaultCode.KNEE_VARUS: (Cue("Knee over the second and third toe, not outside the foot", REALIGN_DOC),),
    FaultCode.HIP_DROP: (Cue("Keep your hips level", HIP_DOC),
                         Cue("Squeeze the glute of the standing leg", VALGUS_DOC)),
    FaultCode.ASYMMETRY: (Cue("Share the load evenly between both legs", HIP_DOC),),
}

SAFETY = (
    "knee-cv is a screening and training aid, not a diagnosis. Stop and see a doctor or physical therapist if you "
    "have acute knee pain, swelling, a knee that feels unstable or gives way, a visible fixed deformity "
    "(structural knock-knees or bow-legs), or a recent injury; and see a physical therapist if the knee shows no "
    "improvement after several weeks of corrective training."
)
SAFETY_SOURCES = (REALIGN_DOC, VALGUS_DOC)

#: What the measurements cannot show; knee-cv's own findings, kept apart from the sources' safety advice.
MEASUREMENT_LIMITS = (
    "Camera-based angles are screening measures: 2D FPPA validity against 3D motion capture is mixed "
    "(r = 0.13-0.78 by task; clinical-metrics.md), and pelvic drop reads low from video. A hip drop can go "
    "unseen when the trunk leans away from the side that drops, so check the trunk lean too (README, "
    "'Accuracy against rendered truth')."
)


def drills_for(fault: FaultCode, limit: int | None = None) -> list[Drill]:
    """Library entries that address ``fault``, strength first, then mobility, then control."""
    order = {"strength": 0, "mobility": 1, "control": 2}
    picked = sorted((e for e in LIBRARY if fault in e.faults), key=lambda e: order.get(e.kind, 3))
    return picked[:limit] if limit else picked


@dataclasses.dataclass(frozen=True)
class Recommendation:
    """What to train for one summarized fault."""

    fault: FaultCode
    side: Side
    severity: Severity
    drills: tuple[Drill, ...]
    cues: tuple[Cue, ...]


def recommend(faults, per_fault: int = 5) -> list[Recommendation]:
    """Drills and cues for each :class:`knee_cv.faults.FaultSummary`, in the same order."""
    return [Recommendation(f.code, f.side, f.severity, tuple(drills_for(f.code, per_fault)), CUES.get(f.code, ()))
            for f in faults]
