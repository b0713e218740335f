"""Corrective exercises, cues, the dose rule and safety advice, as data with their sources.

Sources are the four articles in ``shared/domain/`` and the metrics digest, cited
by their titles (user-facing text never shows a file name). The documents give
no exact sets or reps: doses are conservative starting points, and the rule that
scales them with the severity (:data:`DOSE_RULE`) is written down with the
sentences of the documents it rests on.
"""
from __future__ import annotations

import dataclasses

from .codes import FaultCode, Severity, Side


@dataclasses.dataclass(frozen=True)
class Source:
    """A source document: its title (what users see) and the file it is kept in (for maintainers)."""

    title: str
    file: str


VALGUS_DOC = Source("Knee Valgus: Causes and Corrective Exercises", "knee-valgus-causes-and-corrective-exercises.txt")
HIP_DOC = Source("Exploring the Impact of Hip Alignment on Knee Health", "hip-alignment-and-knee-health.txt")
REALIGN_DOC = Source("Knee Realignment: Understanding Functional Alignment, Exercises, and Professional Guidance",
                     "knee-realignment-functional-alignment.txt")
COACH_DOC = Source("A Coach's Notes on Knee Pain and Valgus", "knee-valgus-coach-notes.txt")
METRICS_DOC = Source("Frontal-plane knee and pelvis metrics: what the literature measures", "clinical-metrics.md")


@dataclasses.dataclass(frozen=True)
class Drill:
    """A corrective exercise from the source documents (not to be confused with the movement analyzed,
    :class:`knee_cv.reps.Exercise`)."""

    name: str
    kind: str  # strength | mobility | control
    how: str
    dose: str  # "{n}" is filled in by the dose rule: the sets grow with the severity
    why: str
    source: Source
    faults: tuple[FaultCode, ...]
    driver: str = "hip"  # the cause it trains: hip, foot (foot and ankle) or both

    def dose_for(self, severity: Severity) -> str:
        """The dose at a fault's severity (see :data:`DOSE_RULE`)."""
        return self.dose.format(n=DOSE_SETS[severity])


LIBRARY: tuple[Drill, ...] = (
    Drill("Banded clamshell", "strength",
          "Lie on your side, knees bent, band looped around the knees; keep the feet together and lift the top knee.",
          "{n} sets of 12-15 per side", "Strengthens gluteus medius, the hip abductor and external rotator that "
          "stops the thigh rolling in and the knee collapsing.", VALGUS_DOC,
          (FaultCode.KNEE_VALGUS, FaultCode.HIP_DROP, FaultCode.ASYMMETRY)),
    Drill("Banded side steps", "strength",
          "Band around the ankles or thighs; in a slight squat, step sideways keeping the band taut.",
          "{n} sets of 10-15 steps each way", "Trains the hip abductors to resist the inward pull on the knee "
          "while standing on the leg.", VALGUS_DOC, (FaultCode.KNEE_VALGUS, FaultCode.HIP_DROP)),
    Drill("Side-lying leg raise", "strength",
          "Lie on your side, top leg straight; lift it toward the ceiling keeping the hips stacked.",
          "{n} sets of 12-15 per side", "Activates the hip abductors that keep the pelvis level and the knee aligned.",
          HIP_DOC, (FaultCode.KNEE_VALGUS, FaultCode.HIP_DROP, FaultCode.ASYMMETRY)),
    Drill("Glute bridge", "strength",
          "On your back, knees bent, feet flat; lift the hips squeezing the glutes, knees pointing over the feet.",
          "{n} sets of 10-15", "Strengthens gluteus maximus and the posterior chain, supporting pelvic alignment.",
          HIP_DOC, (FaultCode.KNEE_VALGUS, FaultCode.HIP_DROP, FaultCode.KNEE_VARUS)),
    Drill("Single-leg deadlift", "strength",
          "Hinge at the hip on one leg, reaching the free leg back; keep the pelvis square and the knee over the foot.",
          "{n} sets of 8 per side, slow", "Challenges the hip to hold neutral alignment on one leg.",
          VALGUS_DOC, (FaultCode.KNEE_VALGUS, FaultCode.HIP_DROP, FaultCode.ASYMMETRY)),
    Drill("Half-kneeling hip flexor stretch", "mobility",
          "Kneel on one knee, squeeze that side's glute and gently push the hips forward.",
          "{n} holds of 30 s per side", "Lengthens tight hip flexors, which pull the thigh into internal rotation "
          "and tilt the pelvis.", VALGUS_DOC, (FaultCode.KNEE_VALGUS, FaultCode.HIP_DROP)),
    Drill("Calf and ankle mobility", "mobility",
          "Gastrocnemius and soleus stretches against a wall; ankle circles and controlled ankle rotations.",
          "{n} holds of 30 s per muscle; 10 ankle circles each way",
          "Tight calves and limited dorsiflexion make the knee "
          "cave to find depth; freeing the ankle removes that compensation.", COACH_DOC, (FaultCode.KNEE_VALGUS,),
          "foot"),
    Drill("Single-leg balance", "control",
          "Stand on one leg with the knee soft and over the second toe; progress to eyes closed or a pillow.",
          "{n} × 30 s per leg", "Improves the brain-muscle communication that holds the knee in line.",
          REALIGN_DOC, (FaultCode.KNEE_VALGUS, FaultCode.HIP_DROP, FaultCode.ASYMMETRY, FaultCode.KNEE_VARUS),
          "both"),
    Drill("Supportive footwear and arch support", "support",
          "Train in shoes that support your foot type; if the arch flattens, ask a physical therapist or podiatrist "
          "whether arch supports (orthotics) suit you.", "wear them for every session ({n} checks of fit per week)",
          "Flattening of the arch turns the shin inward and the knee with it; support limits that.",
          REALIGN_DOC, (FaultCode.KNEE_VALGUS,), "foot"),
    Drill("Banded squat (band above the knees)", "control",
          "Squat with a mini-band just above the knees and keep pushing the knees out against it.",
          "{n} sets of 10", "The band is a constant sensory cue that retrains the knee-out pattern.",
          VALGUS_DOC, (FaultCode.KNEE_VALGUS,), "both"),
    Drill("Hamstring and IT band work", "mobility",
          "Standing or lying hamstring stretch; cross one leg behind the other and lean away, or foam-roll the "
          "outer thigh.", "{n} holds of 30 s per side", "Tightness on the outside of the thigh pulls the knee "
          "outward; balancing it helps the knee track over the mid-foot.", REALIGN_DOC, (FaultCode.KNEE_VARUS,)),
    Drill("Goblet squat to a box, knees over mid-foot", "control",
          "Hold a weight at the chest and squat to a box, watching that the knees track over the second and "
          "third toes, neither in nor out.", "{n} sets of 8-10", "Practises the target pattern under light load.",
          REALIGN_DOC, (FaultCode.KNEE_VARUS, FaultCode.KNEE_VALGUS)),
)

@dataclasses.dataclass(frozen=True)
class Cue:
    """What to think while moving, and the document it comes from."""

    text: str
    source: Source


#: What the user should think while moving, per fault. Coaching shorthand is said in plain words (the coach's
#: "screw your hips into the ground" means turning the thighs out to switch on the outer hip).
CUES: dict[FaultCode, tuple[Cue, ...]] = {
    FaultCode.KNEE_VALGUS: (Cue("Knee over the second toe", VALGUS_DOC),
                            Cue("Turn your thighs slightly out, as if screwing your feet into the floor: it "
                                "wakes up the outer hip", COACH_DOC),
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

#: Sets per exercise by the severity of the fault it addresses (the ``{n}`` of each drill's dose).
DOSE_SETS = {Severity.MILD: 2, Severity.MODERATE: 3, Severity.SEVERE: 3}

#: The dose rule as the plan prints it, with the sentences it rests on.
DOSE_RULE = (
    "Dose: 2 sets of each exercise for a mild fault, 3 for a moderate or severe one. Start light, with good form, "
    "and raise the intensity gradually (Knee Realignment). For a severe fault, begin with the mobility work, then "
    "the strength and control work, as coaches address tight tissues first (A Coach's Notes); if it has not "
    "improved after several weeks, see a physical therapist (Knee Valgus: Causes and Corrective Exercises)."
)
DOSE_SOURCES = (REALIGN_DOC, COACH_DOC, VALGUS_DOC)

#: What the measurements cannot show; knee-cv's own findings, kept apart from the sources' safety advice.
MEASUREMENT_LIMITS = (
    "Camera-based angles are screening measures: 2D FPPA validity against 3D motion capture is mixed "
    "(r = 0.13-0.78 by task; Frontal-plane knee and pelvis metrics), and pelvic drop reads low from video. "
    "A hip drop can go "
    "unseen when the trunk leans away from the side that drops, so check the trunk lean too."
)


@dataclasses.dataclass(frozen=True)
class PlanItem:
    """One exercise of the plan, once, with every fault it addresses and its dose."""

    drill: Drill
    addresses: tuple[tuple[FaultCode, Side], ...]
    severity: Severity  # the worst severity among the faults it addresses: sets the dose
    dose: str


@dataclasses.dataclass(frozen=True)
class Plan:
    """The training plan of an analysis: each exercise once, the cues, and the dose rule.

    Its length depends on which faults were found, never on how many reps showed them.
    """

    items: tuple[PlanItem, ...] = ()
    cues: tuple[Cue, ...] = ()

    @property
    def sources(self) -> tuple[Source, ...]:
        """Every document the plan cites, in first-cited order."""
        seen = dict.fromkeys([i.drill.source for i in self.items] + [c.source for c in self.cues]
                             + list(DOSE_SOURCES) + list(SAFETY_SOURCES))
        return tuple(seen)


def _lead(drivers) -> str:
    """The cause the plan leads with: foot when the cause hints say so more often than hip, else hip."""
    names = [getattr(d, "value", d) for d in drivers]
    return "foot" if names.count("foot") > names.count("hip") else "hip"


def build_plan(faults, *, drivers=(), per_kind: dict[str, int] | None = None, max_cues: int = 4) -> Plan:
    """The plan for a list of :class:`knee_cv.faults.FaultSummary`.

    Hip strength leads: the documents name weak hip abductors and external rotators as the primary driver of
    dynamic valgus (Knee Valgus: Causes and Corrective Exercises). Then mobility, then control, at most
    ``per_kind`` of each (3, 2, 1); within a kind, exercises that address worse and more of the found faults
    come first. For a severe fault the mobility work leads (:data:`DOSE_RULE`). When the cause hints
    (``drivers``, :class:`knee_cv.cause.Driver` per flagged knee) point to the foot and ankle more often than to
    the hip, the ankle mobility and footwear advice lead instead (Knee Realignment: limited dorsiflexion and
    pronation act from below).
    """
    if not faults:
        return Plan()
    lead = _lead(drivers)
    per_kind = per_kind or ({"mobility": 2, "support": 1, "strength": 2, "control": 1} if lead == "foot"
                            else {"strength": 3, "mobility": 2, "control": 1})  # six exercises: one page
    if lead == "foot":
        order = ("mobility", "support", "strength", "control")
    elif any(f.severity is Severity.SEVERE for f in faults):
        order = ("mobility", "strength", "control")
    else:
        order = ("strength", "mobility", "control")
    items = []
    for kind in order:
        ranked = []
        for k, d in enumerate(LIBRARY):
            hits = [f for f in faults if f.code in d.faults]
            if d.kind == kind and hits:
                sev = max((f.severity for f in hits), key=lambda s: s.rank)
                ranked.append(((d.driver != lead and d.driver != "both", -sev.rank, -len(hits), k), d, hits, sev))
        ranked.sort(key=lambda x: x[0])
        items += [PlanItem(d, tuple(dict.fromkeys((f.code, f.side) for f in hits)), sev, d.dose_for(sev))
                  for _, d, hits, sev in ranked[:per_kind.get(kind, 0)]]
    cues = tuple(dict.fromkeys(c for f in sorted(faults, key=lambda f: -f.severity.rank)
                               for c in CUES.get(f.code, ())))[:max_cues]
    return Plan(tuple(items), cues)
