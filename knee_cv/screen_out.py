"""``knee-cv screen``: run the single-leg squat screen on one or two videos and write its outputs.

Outputs in ``out_dir``: ``report.json`` (a ``screen`` section, plus each clip's own
analysis in ``clip1/``, ``clip2/``), and ``screen.pdf``, one page a physical therapist
can file. Words and numbers come from :mod:`knee_cv.present` and :mod:`knee_cv.norms`.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from . import exercises as ex
from . import present as P
from .codes import finite_or_none as _num
from .errors import InputError
from .files import ensure_dir, write_atomic
from .meta import Session
from .norms import SLS_FPPA_CONTROL, SLS_FPPA_PFP, SLS_FPPA_SDD
from .screen import LegScreen, Screen, ScreenSettings, build_screen
from .settings import Settings

SOURCES = ("Herrington L. Knee valgus angle during single leg squat and landing in patellofemoral pain "
           "patients and controls. Knee 2014",
           "Munro A, Herrington L, Carolan M. Reliability of 2-dimensional video assessment of frontal-plane "
           "dynamic knee valgus during common athletic screening tasks. J Sport Rehabil 2012")


@dataclasses.dataclass(frozen=True)
class ScreenResult:
    """What :func:`run_screen` produced: the screen, each clip's :class:`knee_cv.api.Result`, the folder."""

    screen: Screen
    results: tuple
    out_dir: Path
    session: Session


#: What the guided live screen asks before each leg's set.
PROTOCOL_TASK = "Then 5 squats to about 45-60 degrees of knee bend"


def _screen_settings(settings: Settings, screen_settings: ScreenSettings) -> Settings:
    """``settings`` that also find dips too shallow for the protocol, so they are counted as not judged."""
    shallow = min(settings.reps.min_depth, screen_settings.min_rep_depth)
    return dataclasses.replace(settings, reps=dataclasses.replace(settings.reps, min_depth=shallow))


def run_screen(videos=(), *, out_dir: str | Path, camera: int | None = None, source: str | Path | None = None,
               model: str = "full", settings: Settings = Settings(), session: Session = Session(),
               progress: bool = True, pdf: bool = True, headless: bool = False, realtime: bool = True,
               screen_settings: ScreenSettings = ScreenSettings()) -> ScreenResult:
    """The screen from one or two videos (one leg each, or both in one), or guided live from a camera
    (``camera``) or a replayed file (``source``, in real time unless ``realtime`` is False): 5 reps on the left
    leg, then 5 on the right."""
    from .api import analyze
    from .reps import Exercise

    videos = [Path(v) for v in videos]
    live = camera is not None or source is not None
    if live == bool(videos) or len(videos) > 2:
        raise InputError("give one video with both legs, two videos (one per leg), or --camera N, "
                         f"not {len(videos)} video(s)" + (" and a camera" if live else ""))
    out = ensure_dir(out_dir)
    settings = _screen_settings(settings, screen_settings)
    if live:
        from .live_loop import run_live
        from .sets import SetGuide

        guide = SetGuide(5, sides=True, task=PROTOCOL_TASK)
        results = (run_live(camera=camera if camera is not None else 0, source=source, out=out / "live",
                            model=model, settings=settings, headless=headless, pdf=False, realtime=realtime,
                            exercise=Exercise.SINGLE_LEG_SQUAT, session_meta=session, set_reps=guide),)
        clips = (str(source) if source is not None else f"camera {camera}",)
    else:
        results = tuple(analyze(v, out_dir=out / f"clip{k + 1}", model=model, settings=settings,
                                progress=progress, pdf=False, annotate=False, exercise=Exercise.SINGLE_LEG_SQUAT,
                                session=session) for k, v in enumerate(videos))
        clips = tuple(str(v) for v in videos)
    res = ScreenResult(build_screen([r.analysis for r in results], clips, screen_settings), results, out,
                       results[0].session)
    write_atomic(out / "report.json", json.dumps(screen_report(res), indent=2, allow_nan=False))
    if pdf:
        from .screen_pdf import write_screen_pdf
        write_screen_pdf(out / "screen.pdf", res)
    return res


def _leg_dict(leg: LegScreen, screen: Screen) -> dict:
    return {
        "reps": [{"clip": screen.parts[r.part].clip + 1, "rep": r.index, "knee_bend_deg": _num(r.bend_deg, 0),
                  "judged": r.judged, "reason": r.reason.value if r.reason else None, "peak_fppa_deg": _num(r.fppa_deg),
                  "flagged": r.flagged, "pelvic_drop_deg": _num(r.pelvic_drop_deg),
                  "trunk_lean_deg": _num(r.trunk_lean_deg),
                  "cause": r.cause.driver.value if r.cause is not None else None} for r in leg.reps],
        "judged_reps": len(leg.judged), "mean_peak_fppa_deg": _num(leg.mean_fppa_deg),
        "sd_peak_fppa_deg": _num(leg.sd_fppa_deg), "band": leg.band.value, "flagged": leg.flagged,
        "mean_pelvic_drop_deg": _num(leg.mean_of("pelvic_drop_deg")),
        "mean_trunk_lean_deg": _num(leg.mean_of("trunk_lean_deg")),
        "likely_driver": leg.driver.value if leg.driver else None,
    }


def screen_report(res: ScreenResult) -> dict:
    """The ``report.json`` document of a screen; + = valgus for FPPA, + = toward the subject's left for drop and
    lean."""
    s = res.screen
    return {
        "schema_version": 1, "kind": "single_leg_squat_screen",
        "session": {"subject": res.session.subject, "date": res.session.date, "notes": res.session.notes},
        "clips": [{"video": c, "report": str((r.out_dir / "report.json").relative_to(res.out_dir))}
                  for c, r in zip(s.clips, res.results)],
        "screen": {
            "protocol": "stand on one leg, 5 squats to about 45-60 degrees of knee bend; then the other leg",
            "left": _leg_dict(s.legs[0], s), "right": _leg_dict(s.legs[1], s),
            "method": "each leg's stretch of a video is analysed against its own standing posture; reps are "
                      "numbered per leg; knee bend is estimated from how far the hips sink",
            "difference_deg": _num(s.difference_deg), "difference": s.difference_state.value,
            "norms": {"control": [SLS_FPPA_CONTROL.mean, SLS_FPPA_CONTROL.sd],
                      "patellofemoral_pain": [SLS_FPPA_PFP.mean, SLS_FPPA_PFP.sd],
                      "sdd": [SLS_FPPA_SDD.low, SLS_FPPA_SDD.high]},
            "sources": list(SOURCES),
        },
        "disclaimer": "A screening aid, not a diagnosis.",
        "safety": ex.SAFETY, "safety_sources": [src.title for src in ex.SAFETY_SOURCES],
    }


def screen_text(res: ScreenResult) -> str:
    """A few lines for the terminal."""
    s = res.screen
    lines = ["Single-leg squat screen (peak FPPA per rep, + = valgus)"]
    for leg in s.legs:
        vals = ", ".join(f"{r.fppa_deg:+.1f}" if r.judged else f"- ({P.reason_label(r.reason)})" for r in leg.reps)
        lines.append(f"  Standing on the {leg.side.value} leg: {len(leg.judged)} of {len(leg.reps)} reps judged"
                     f" [{vals}]")
        if leg.judged:
            lines.append(f"    mean {leg.mean_fppa_deg:+.1f} deg: {P.BAND_WORDS[leg.band]}"
                         + ("; valgus flagged" if leg.flagged else ""))
            lines.append(f"    pelvic drop {P.number(leg.mean_of('pelvic_drop_deg'))} deg, trunk lean "
                         f"{P.number(leg.mean_of('trunk_lean_deg'))} deg (+ = toward the subject's left)")
        if leg.driver is not None:
            lines.append(f"    likely driver (a hint): {P.DRIVER_WORDS[leg.driver.value]}")
    if np.isfinite(s.difference_deg):
        lines.append(f"  Left minus right: {s.difference_deg:+.1f} deg, {P.DIFFERENCE_WORDS[s.difference_state]} "
                     f"({SLS_FPPA_SDD.label})")
    else:
        lines.append(f"  Left minus right: {P.DIFFERENCE_WORDS['none']}")
    lines.append(f"  Norms: {SLS_FPPA_CONTROL.label}; {SLS_FPPA_PFP.label}")
    lines.append(f"  Report: {res.out_dir / 'report.json'}")
    if (res.out_dir / "screen.pdf").exists():
        lines.append(f"  PDF: {res.out_dir / 'screen.pdf'}")
    lines.append("  " + ex.SAFETY)
    return "\n".join(lines)
