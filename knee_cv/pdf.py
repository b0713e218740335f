"""report.pdf with matplotlib only: summary, one page per rep, the training plan.

Every word and colour comes from :mod:`knee_cv.present`; the pictures come from
the coordinator's single decode of the video (:class:`knee_cv.outputs.FramePass`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import textwrap
from pathlib import Path

import numpy as np

from . import exercises as ex
from . import present as P
from .codes import SIDES
from .files import atomic_path
from .outputs import shrink

A4 = (8.27, 11.69)
SIDE_LINE = {"left": "#1f77b4", "right": "#d62728"}

def _wrap(text: str, width: int = 95) -> str:
    return "\n".join(textwrap.fill(p, width) for p in text.split("\n"))


def _verdict_table(fig, a, y: float) -> float:
    """The per-rep verdict table with coloured cells; returns the y below it."""
    rows, tones = [], []
    for r in a.reps:
        vs = (*r.knee_verdicts, r.hip_verdict)
        rows.append([str(r.rep.index), f"{a.track.t[r.rep.bottom]:.1f} s", *(P.verdict_cell(v) for v in vs)])
        tones.append([P.tone(v) for v in vs])
    h = min(0.035 * (len(rows) + 1), 0.5)
    ax = fig.add_axes([0.07, y - h, 0.86, h])
    ax.axis("off")
    tab = ax.table(cellText=rows, colLabels=["Rep", "Bottom", "Left knee", "Right knee", "Hip"],
                   loc="upper center", cellLoc="center")
    tab.auto_set_font_size(False)
    tab.set_fontsize(10)
    tab.scale(1, 1.3)
    for (i, j), cell in tab.get_celld().items():
        if i > 0 and j >= 2:
            cell.set_facecolor(tones[i - 1][j - 2].value.hex)
    return y - h - 0.04


def _summary_page(pdf, plt, result) -> None:
    a, v = result.analysis, result.video
    fig = plt.figure(figsize=A4)
    fig.text(0.07, 0.95, "knee-cv report", fontsize=20, weight="bold")
    name = Path(v.path).name.replace("$", r"\$")  # a "$" would start matplotlib's math mode
    meta = (f"Video: {name}    Date: {dt.date.today().isoformat()}\n"
            f"Exercise: {a.exercise.value.replace('_', ' ')}    View: {a.view.value}    "
            f"Model: {result.model.name}    Reps: {len(a.reps)}    Duration: {v.duration_s:.1f} s")
    fig.text(0.07, 0.90, meta, fontsize=10, va="top")
    y = 0.84
    if not a.reps:
        why = "; ".join(a.warnings) or "no rep was found"
        fig.text(0.07, y, "No reps were detected.", fontsize=14, weight="bold", color="#b00000", va="top")
        fig.text(0.07, y - 0.04, _wrap("Why: " + why, 90), fontsize=10, va="top")
        y -= 0.16
    else:
        y = _verdict_table(fig, a, y)
    lines = [f"• {P.fault_phrase(f.code, f.side).capitalize()}: {f.count} of {f.of_reps} reps, worst "
             f"{f.severity.value} ({P.signed(f.worst_value, f.unit)})." for f in a.faults]
    judged = any(x.judged for r in a.reps for x in (*r.knee_verdicts, r.hip_verdict))
    if a.reps and not lines:
        lines.append("• No faults found in the judged reps." if judged else "• Nothing was judged: see the notes.")
    lines += [f"• Note: {w}" for w in a.warnings]
    fig.text(0.07, y, "Main findings", fontsize=13, weight="bold", va="top")
    fig.text(0.07, y - 0.03, "\n".join(_wrap(s, 92) for s in lines), fontsize=10, va="top")
    fig.text(0.07, 0.21, "Safety", fontsize=13, weight="bold", va="top")
    fig.text(0.07, 0.18, _wrap(ex.SAFETY, 95) + "\n\n" + _wrap(ex.MEASUREMENT_LIMITS, 95), fontsize=9, va="top")
    legend = "; ".join(P.LEGEND).replace("   ", "; ")
    fig.text(0.07, 0.03, "Left and right are the subject's own sides. Video: " + legend,
             fontsize=8, color="#555")
    pdf.savefig(fig)
    plt.close(fig)


def _shade_untrusted(ax, t, mask) -> list:
    """Grey spans over runs of untrusted frames; returns the artists."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return [ax.axvspan(t[a], t[min(b, len(t) - 1)], color="#999", alpha=0.18, lw=0)
            for a, b in zip(edges[::2], edges[1::2])]


class _RepPage:
    """One A4 figure reused for every rep page: only data, limits and texts change.

    Building axes, ticks and tables is most of matplotlib's cost, so the layout is
    made once and each rep page just updates it (about 3x faster on 10 reps).
    """

    def __init__(self, plt, analysis):
        self.a = analysis
        self.cfg = analysis.settings.faults
        fig = self.fig = plt.figure(figsize=A4)
        self.title = fig.text(0.07, 0.96, "", fontsize=16, weight="bold")
        self.verdicts = fig.text(0.07, 0.935, "", fontsize=10)
        self.flags = fig.text(0.07, 0.915, "", fontsize=10)
        labels = ["Knee valgus measure (deg)\n+ = toward valgus",
                  "Knee over 2nd toe:\nmedial deviation (% leg length)", "Raw FPPA (deg)\n+ = valgus",
                  "Pelvic drop (deg)\n+ = left side lower"]
        self.axes, self.lines, self.spans = [], [], []
        for k, label in enumerate(labels):
            ax = fig.add_axes([0.1, 0.70 - k * 0.13, 0.52, 0.11])
            ax.set_ylabel(label, fontsize=8)
            ax.tick_params(labelsize=8, labelbottom=k == 3)  # time labels once, under the last panel
            if k < 3:  # trusted (solid) and untrusted (faint) line per side
                self.lines.append([ax.plot([], [], color=SIDE_LINE[s], lw=lw, alpha=al, label=lab)[0]
                                   for s in SIDES for lw, al, lab in ((1.6, 1.0, f"{s} knee"), (0.8, 0.35, None))])
            else:
                self.lines.append([ax.plot([], [], color="k", lw=1.4)[0]])
            self.axes.append(ax)
        self.axes[0].legend(fontsize=7, loc="lower left")
        self.axes[3].set_xlabel("time (s); dashed = bottom; grey = knee not trusted", fontsize=8)
        self.bottoms = [ax.axvline(0, color="k", ls="--", lw=0.8) for ax in self.axes]
        self.img_ax = fig.add_axes([0.64, 0.31, 0.33, 0.52])
        self.img_ax.axis("off")
        self.numbers = fig.text(0.07, 0.235, "", fontsize=9, family="monospace", va="top")

    def _clear_spans(self) -> None:
        for sp in self.spans:
            sp.remove()
        self.spans = []
        for im in list(self.img_ax.images) + list(self.img_ax.texts):
            im.remove()

    def draw(self, pdf, r, frame: np.ndarray | None, overlay) -> None:
        a, m, t = self.a, self.a.metrics, self.a.track.t
        pad = int(0.3 * a.track.fps)
        sl = slice(max(r.rep.start - pad, 0), min(r.rep.end + pad + 1, len(t)))
        tt = t[sl]
        self._clear_spans()
        self.title.set_text(f"Rep {r.rep.index}   ({t[r.rep.start]:.1f}–{t[r.rep.end]:.1f} s)")
        self.verdicts.set_text(", ".join(f"{s.value} knee: {P.verdict_cell(v)}" for s, v in zip(SIDES, r.knee_verdicts))
                               + f", hip: {P.verdict_cell(r.hip_verdict)}")
        flagged = [f"{P.fault_phrase(f.code, f.side)} ({f.severity.value}, {P.signed(f.value, f.unit)})"
                   for f in r.faults]
        self.flags.set_text("Flags: " + ("; ".join(flagged) if flagged else "none"))
        self.flags.set_color("#b00000" if flagged else "#206020")
        trusted = m.knee_trusted[sl]
        for k, data in enumerate((a.valgus_measure[sl], 100 * m.knee_toe_dev[sl], m.fppa_deg[sl])):
            for si in range(2):
                ok = trusted[:, si]
                self.lines[k][2 * si].set_data(tt, np.where(ok, data[:, si], np.nan))
                self.lines[k][2 * si + 1].set_data(tt, np.where(~ok, data[:, si], np.nan))
            self._limits(self.axes[k], tt, data)
            self.spans += _shade_untrusted(self.axes[k], tt, ~trusted.all(1))
        self.th = self.cfg.valgus_for(r.measure_kind)
        self.axes[0].set_ylabel(P.MEASURE_WORDS[r.measure_kind] + " (deg)\n+ = toward valgus", fontsize=8)
        self._bands(m, sl, tt)
        for b in self.bottoms:
            b.set_xdata([t[r.rep.bottom]] * 2)
        self._picture(r, frame, overlay)
        self.numbers.set_text(_numbers(a, r))
        pdf.savefig(self.fig)

    def _bands(self, m, sl: slice, tt: np.ndarray) -> None:
        """Severity bands behind the knee measure, and the hip-drop bands."""
        lo, hi = self.axes[0].get_ylim()
        top = max(hi, self.th.severe + 5)
        bands = ((self.th.mild, self.th.moderate, P.Tone.MILD), (self.th.moderate, self.th.severe, P.Tone.MODERATE),
                 (self.th.severe, top, P.Tone.SEVERE))
        for lo_, hi_, tone in bands:
            self.spans.append(self.axes[0].axhspan(lo_, hi_, color=tone.value.hex, alpha=0.5, lw=0))
        self.axes[0].set_ylim(lo, top)
        pd_ = np.where(m.pelvis_trusted[sl], m.pelvic_drop_deg[sl], np.nan)
        self.lines[3][0].set_data(tt, pd_)
        hd = self.a.settings.faults.hip_drop
        self._limits(self.axes[3], tt, np.r_[pd_, -hd.moderate, hd.moderate])  # the bands stay in view
        for sign in (1, -1):
            far = max(hd.severe + 3, np.nanmax(np.abs(pd_), initial=0))
            self.spans.append(self.axes[3].axhspan(sign * hd.mild, sign * far,
                                                   color=P.Tone.MODERATE.value.hex, alpha=0.4, lw=0))

    def _picture(self, r, frame: np.ndarray | None, overlay) -> None:
        a, wf = self.a, r.worst_frame
        if frame is None:
            self.img_ax.set_title("")
            self.img_ax.text(0.5, 0.5, "(no video frame:\nanalysed from landmarks)", ha="center", fontsize=9)
            return
        img = frame.copy()
        ov = dataclasses.replace(overlay, values=tuple(
            f"{s.value[0].upper()}: {P.signed(a.valgus_measure[wf, s.index], 'deg')}" for s in SIDES), legend=False)
        from .render import LowerBodyAnnotator
        LowerBodyAnnotator().annotate(img, a.track.xy[wf] * (img.shape[1] / a.track.width), ov)
        self.img_ax.imshow(shrink(img, 480)[..., ::-1])
        self.img_ax.set_title(f"Deepest judged moment, {a.track.t[wf]:.2f} s", fontsize=9)

    @staticmethod
    def _limits(ax, tt, data) -> None:
        finite = data[np.isfinite(data)]
        lo, hi = (finite.min(), finite.max()) if finite.size else (-1.0, 1.0)
        margin = max(0.05 * (hi - lo), 0.5)
        ax.set_xlim(tt[0], tt[-1] if len(tt) > 1 else tt[0] + 1)
        ax.set_ylim(lo - margin, hi + margin)


def _numbers(a, r) -> str:
    """The rep's numbers as a fixed-width table (one text object: far cheaper than a matplotlib table)."""
    sm = r.sides
    side = lambda x: x.value if x is not None else "—"  # noqa: E731
    rows = [("", "Left", "Right"),
            ("Knee valgus measure (deg)",) + tuple(_fmt(x.valgus_measure_deg) for x in sm),
            ("Peak FPPA (deg)",) + tuple(_fmt(x.fppa_deg) for x in sm),
            ("Knee medial of toe (% leg)",) + tuple(_fmt(x.knee_toe_medial_pct) for x in sm),
            ("Frames judged / trusted",) + tuple(f"{len(x.judged_frames)} / {x.trusted_frames}" for x in sm),
            ("Pelvic drop (deg), lower side", _fmt(abs(r.pelvic_drop_deg)), side(r.pelvic_drop_side)),
            ("Trunk lean (deg), toward", _fmt(abs(r.trunk_lean_deg)), side(r.trunk_lean_side)),
            ("Knee/ankle separation", _fmt(r.knee_sep_ratio), ""),
            ("Left minus right knee (deg)", _fmt(r.asymmetry_deg), ""),
            ("Depth (hip drop / leg length)", _fmt(r.rep.depth), "")]
    return "\n".join(f"{x:<32}{y:>12}{z:>12}" for x, y, z in rows)


def _fmt(v: float) -> str:
    return "—" if not np.isfinite(v) else f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"


def _plan_pages(pdf, plt, a) -> None:
    blocks: list[str] = []
    for rec in a.recommendations:
        blocks.append(f"## {rec.side.value.capitalize()} side: {P.FAULT_WORDS[rec.fault]} ({rec.severity.value})")
        for d in rec.drills:
            blocks.append(f"• {d.name} [{d.kind}], {d.dose}\n   How: {d.how}\n   Why: {d.why}\n   Source: {d.source}")
        blocks += [f"• Cue: \"{c.text}\"  (source: {c.source})" for c in rec.cues]
    if not a.recommendations:
        blocks.append("## No faults found\nKeep practising the pattern: knees track over the second and third toes, "
                      "hips level.")
    blocks.append("## When to see a professional\n" + ex.SAFETY + "\nSources: " + ", ".join(ex.SAFETY_SOURCES))
    blocks.append("## What the measurements cannot show\n" + ex.MEASUREMENT_LIMITS)
    lines: list[tuple[str, bool]] = []
    for b in blocks:
        for k, para in enumerate(b.split("\n")):
            head = para.startswith("## ")
            for ln in textwrap.wrap(para[3:] if head else para, 95, subsequent_indent="   ") or [""]:
                lines.append((ln, head))
        lines.append(("", False))
    per_page = 62
    for p in range(0, len(lines), per_page):
        fig = plt.figure(figsize=A4)
        fig.text(0.07, 0.96, "Training plan" + (" (continued)" if p else ""), fontsize=16, weight="bold")
        y = 0.92
        for ln, head in lines[p:p + per_page]:
            fig.text(0.07, y, ln, fontsize=11 if head else 9, weight="bold" if head else "normal", va="top")
            y -= 0.0142
        pdf.savefig(fig)
        plt.close(fig)


def write_pdf(path: Path, result, *, frames=None, overlays=None) -> None:
    """Write report.pdf of a :class:`knee_cv.api.Result` atomically.

    Parameters
    ----------
    frames : object with ``get(index) -> ndarray | None``, optional
        The worst frames of the reps (BGR), for example a :class:`knee_cv.outputs.FramePass`.
    overlays : OverlayModel, optional
        Built from the analysis if not given.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    from .present import OverlayModel

    a = result.analysis
    with atomic_path(path) as tmp, PdfPages(tmp, metadata={"Title": "knee-cv report", "Creator": "knee-cv"}) as pdf:
        _summary_page(pdf, plt, result)
        if a.reps:
            overlays = overlays or OverlayModel.from_analysis(a)
            page = _RepPage(plt, a)
            for r in a.reps:
                page.draw(pdf, r, frames.get(r.worst_frame) if frames is not None else None,
                          overlays.at(r.worst_frame))
            plt.close(page.fig)
        _plan_pages(pdf, plt, a)
