"""The single-leg squat screen's PDF: one page, both legs side by side, the numbers against the norms."""
from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import numpy as np

from . import exercises as ex
from . import present as P
from .files import atomic_path
from .norms import SLS_FPPA_CONTROL, SLS_FPPA_PFP, SLS_FPPA_SDD
from .pdf import A4, drawn_frame, tex_safe
from .screen import LegScreen
from .screen_out import SOURCES, ScreenResult


def _worst(leg: LegScreen):
    """The judged rep with the largest peak FPPA (the deepest rep if none was judged), or None."""
    if leg.judged:
        return max(leg.judged, key=lambda r: r.fppa_deg)
    return max(leg.reps, key=lambda r: r.bend_deg, default=None)


def _frame(res: ScreenResult, rep) -> np.ndarray | None:
    from .video import iter_frames_at, probe

    part = res.screen.parts[rep.part]
    result = res.results[part.clip]
    video = result.video.path
    if not video or not Path(video).is_file():
        return None
    frames = iter_frames_at(video, [part.start + rep.frame], times=result.analysis.track.t,
                            backend=probe(video).backend)
    return next((img for _, img in frames), None)


def _leg_lines(leg: LegScreen) -> list[str]:
    lines = []
    for r in leg.reps:
        value = f"{r.fppa_deg:+.1f} deg" if r.judged else f"not judged: {P.reason_label(r.reason)}"
        lines.append(f"rep {r.index}: {value}   (knee bend about {r.bend_deg:.0f} deg)")
    if leg.judged:
        sd = f" ± {leg.sd_fppa_deg:.1f}" if np.isfinite(leg.sd_fppa_deg) else ""
        lines += ["", f"Mean peak FPPA: {leg.mean_fppa_deg:+.1f}{sd} deg", P.BAND_WORDS[leg.band],
                  "Valgus flagged by knee-cv" if leg.flagged else "No valgus flagged by knee-cv",
                  f"Pelvic drop {leg.mean_of('pelvic_drop_deg'):+.1f} deg, trunk lean "
                  f"{leg.mean_of('trunk_lean_deg'):+.1f} deg"]
    if leg.driver is not None:
        lines.append("Likely driver (hint): " + P.DRIVER_WORDS[leg.driver.value])
    return lines


def _leg_column(fig, res: ScreenResult, leg: LegScreen, x: float) -> int:
    """Draw one leg's column; returns its number of text lines."""
    fig.text(x, 0.872, f"Standing on the {leg.side.value} leg", fontsize=12, weight="bold", va="top")
    rep = _worst(leg)
    if rep is not None:
        fig.text(x, 0.852, f"Picture: rep {rep.index}{' (the largest FPPA)' if rep.judged else ''}, at its "
                 "deepest judged moment", fontsize=7.5, va="top", color="#555")
    ax = fig.add_axes([x - 0.02, 0.50, 0.42, 0.335])
    ax.axis("off")
    frame = _frame(res, rep) if rep is not None else None
    if frame is None:
        ax.text(0.5, 0.5, "(no picture)", ha="center", va="center", fontsize=8)
    else:
        a = res.screen.parts[rep.part].analysis
        ov = dataclasses.replace(P.OverlayModel.from_analysis(a).at(rep.frame), legend=False, cue=None)
        ax.imshow(drawn_frame(frame, a, rep.frame, ov)[..., ::-1])
    body = [w for ln in _leg_lines(leg) for w in (textwrap.wrap(ln, 58) or [""])][:20]
    fig.text(x, 0.485, "\n".join(body), fontsize=8.5, va="top")
    return len(body)


def write_screen_pdf(path: Path, res: ScreenResult) -> None:
    """One A4 page: subject and date, both legs with a picture and their numbers, the difference, the sources."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    s, ses = res.screen, res.session
    fig = plt.figure(figsize=A4)
    fig.text(0.07, 0.955, "Single-leg squat screen", fontsize=18, weight="bold")
    who = f"Subject: {tex_safe(ses.subject)}    " if ses.subject else ""
    clips = ", ".join(tex_safe(Path(c).name) for c in s.clips)
    protocol = ("Protocol: stand on one leg, 5 squats to about 45-60 degrees of knee bend, then the other leg; "
                "shallower reps are not judged. FPPA (frontal plane projection angle): + = valgus. Knee bend is "
                "estimated from how far the hips sink.")
    fig.text(0.07, 0.935, "\n".join([f"{who}Date: {(ses.date or '')[:10]}    Videos: {clips}"]
                                    + textwrap.wrap(protocol, 125)), fontsize=8.5, va="top", color="#333")
    if ses.notes:
        fig.text(0.07, 0.893, textwrap.shorten("Notes: " + tex_safe(ses.notes), 140), fontsize=8.5, va="top",
                 style="italic")
    n = max(_leg_column(fig, res, leg, x) for leg, x in zip(s.legs, (0.07, 0.53)))
    y = min(0.485 - 0.0135 * n - 0.02, 0.25)
    diff = (f"Left minus right mean peak FPPA: {s.difference_deg:+.1f} deg, {P.DIFFERENCE_WORDS[s.difference_state]} "
            f"({SLS_FPPA_SDD.label})." if np.isfinite(s.difference_deg) else
            "Left minus right: " + P.DIFFERENCE_WORDS["none"] + ".")
    norms = (f"Norms for the single-leg squat: {SLS_FPPA_CONTROL.label}; {SLS_FPPA_PFP.label}. The groups overlap: "
             "a value says where a person sits, not whether they have knee pain. 2D FPPA agrees only loosely with 3D "
             "motion capture in this task, so read it as a screen.")
    fig.text(0.07, y, "Left and right", fontsize=11, weight="bold", va="top")
    fig.text(0.07, y - 0.02, "\n".join(textwrap.wrap(diff, 115) + [""] + textwrap.wrap(norms, 125)), fontsize=8.5,
             va="top")
    src = "Sources: " + "; ".join(SOURCES) + "."
    fig.text(0.07, 0.115, "\n".join(textwrap.wrap(src, 140)), fontsize=7, va="top", color="#333")
    fig.text(0.07, 0.075, "\n".join(textwrap.wrap(ex.SAFETY, 140)),
             fontsize=7, va="top", color="#8b0000")
    with atomic_path(path) as tmp, PdfPages(tmp) as pdf:
        pdf.savefig(fig)
    plt.close(fig)
