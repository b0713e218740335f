"""report.pdf with matplotlib only: summary, one page per rep, the training plan.

Every word and colour comes from :mod:`knee_cv.present`; the pictures come from
the coordinator's single decode of the video (:class:`knee_cv.outputs.FramePass`).
"""
from __future__ import annotations

import dataclasses
import io
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.ticker import MaxNLocator

from . import exercises as ex
from . import present as P
from .codes import SIDES
from .files import atomic_path
from .outputs import person_box, shrink

A4 = (8.27, 11.69)
SIDE_LINE = {"left": "#1f77b4", "right": "#d62728"}

def _wrap(text: str, width: int = 95) -> str:
    return "\n".join(textwrap.fill(p, width) for p in text.split("\n"))


def tex_safe(text: str) -> str:
    """User text made safe for matplotlib: a "$" would start its math mode (and can crash it)."""
    return P.printable(text).replace("$", r"\$")


def _verdict_table(fig, a, y: float, max_h: float) -> float:
    """The per-rep verdict table with coloured cells, at most ``max_h`` tall; returns the y below it."""
    rows, tones = [], []
    for r in a.reps:
        vs = (*r.knee_verdicts, r.hip_verdict)
        rows.append([str(r.rep.index), f"{a.track.t[r.rep.bottom]:.1f} s", *(P.verdict_cell(v) for v in vs)])
        tones.append([P.tone(v) for v in vs])
    row_h = min(0.026, max_h / (len(rows) + 1))  # 20 reps still fit: the rows get thinner, not the page longer
    h = row_h * (len(rows) + 1)
    ax = fig.add_axes([0.07, y - h, 0.86, h])
    ax.axis("off")
    tab = ax.table(cellText=rows, colLabels=["Rep", "Bottom", "Left knee", "Right knee", "Hip"],
                   loc="upper center", cellLoc="center", bbox=[0, 0, 1, 1])
    tab.auto_set_font_size(False)
    tab.set_fontsize(9 if row_h >= 0.02 else 7)
    for (i, j), cell in tab.get_celld().items():
        cell.set_linewidth(0.4)
        if i > 0 and j >= 2:
            cell.set_facecolor(tones[i - 1][j - 2].value.hex)
    return y - h - 0.025


def _findings(a) -> list[str]:
    """The main findings in plain words: faults first, then what was not judged and why."""
    lines = [f"{P.fault_phrase(f.code, f.side).capitalize()} on {f.count} of {f.of_reps} reps; worst "
             f"{f.severity.value} ({P.signed(f.worst_value, f.unit)}, flagged from {P.signed(f.threshold, f.unit)})."
             for f in a.faults]
    if not lines:
        lines.append(P.no_fault_words(a.reps).sentence())
    return lines + [f"Note: {w}" for w in a.warnings]


def _best_and_worst(a):
    """The rep to show as the worst moment and a judged rep to set beside it (None when there is none)."""
    judged = [r for r in a.reps if any(v.judged for v in r.knee_verdicts)]
    if not judged:
        return None, None
    score = lambda r: max((np.nan_to_num(s.valgus_measure_deg, nan=-1e9) for s, v in zip(r.sides, r.knee_verdicts)  # noqa: E731
                           if v.judged), default=-1e9)
    rank = lambda r: max((f.severity.rank for f in r.faults), default=0)  # noqa: E731
    worst = max(judged, key=lambda r: (rank(r), score(r)))
    best = min(judged, key=lambda r: (rank(r), score(r)))
    return worst, (best if rank(best) < rank(worst) else None)  # a comparison only if it shows better movement


def _picture(ax, a, r, frame, overlays, title: str) -> None:
    ax.axis("off")
    if frame is None:
        ax.text(0.5, 0.5, "(no video frame:\nanalysed from landmarks)", ha="center", va="center", fontsize=8)
    else:
        ov = dataclasses.replace(overlays.at(r.worst_frame), legend=False, cue=None)
        ax.imshow(drawn_frame(frame, a, r.worst_frame, ov)[..., ::-1])
    ax.set_title(_wrap(title, 60), fontsize=8, y=1.0)


def drawn_frame(frame: np.ndarray, a, index: int, overlay) -> np.ndarray:
    """Frame ``index`` cut around the person, then drawn on (so its texts fit the picture the reader sees),
    shrunk for the page."""
    from .render import LowerBodyAnnotator

    xy = a.track.xy[index] * (frame.shape[1] / a.track.width)
    x0, y0, x1, y1 = person_box(frame.shape, xy)
    img = frame[y0:y1, x0:x1].copy()  # never draw on the shared frame
    return shrink(LowerBodyAnnotator().annotate(img, xy - np.array([x0, y0]), overlay), 480)


def _summary_page(pdf, plt, result, frames, overlays) -> None:
    a, v, ses = result.analysis, result.video, result.session
    fig = plt.figure(figsize=A4)
    fig.text(0.07, 0.955, "Knee and hip movement check", fontsize=18, weight="bold")
    who = f"Subject: {tex_safe(ses.subject)}    " if ses.subject else ""
    meta = (f"{who}Date: {(ses.date or '')[:10]}    Exercise: {P.exercise_words(a.exercise, a.reps)}    "
            f"View: {P.view_words(a.view_class, a.yaw_deg, noun=False)}    Reps: {len(a.reps)}\n"
            f"Video: {tex_safe(Path(v.path).name)} ({v.duration_s:.1f} s{P.crop_words(v.crop)})    "
            f"Model: {result.model.name}    "
            f"Analysed: {result.analyzed_at[:10]}")
    fig.text(0.07, 0.935, meta, fontsize=8.5, va="top", color="#333")
    y = 0.895
    if ses.notes:
        note = _wrap("Notes: " + tex_safe(ses.notes), 110).split("\n")[:3]
        fig.text(0.07, y, "\n".join(note), fontsize=8.5, va="top", style="italic")
        y -= 0.014 * len(note) + 0.01
    if a.reps:
        y = _verdict_table(fig, a, y, 0.30)
    fig.text(0.07, y, "Main findings", fontsize=12, weight="bold", va="top")
    body = [ln for s in _findings(a) for ln in textwrap.wrap(s, 112, initial_indent="• ", subsequent_indent="  ")]
    fig.text(0.07, y - 0.022, "\n".join(body[:14]), fontsize=8.5, va="top")
    y -= 0.03 + 0.0125 * min(len(body), 14)
    worst, best = _best_and_worst(a)
    if worst is None:  # nothing judged: say how to film so that the next clip is
        fig.text(0.07, y, "How to film for a result", fontsize=12, weight="bold", va="top")
        guide = [ln for _, rule in P.FILMING_GUIDE for ln in textwrap.wrap(rule, 110, initial_indent="• ",
                                                                              subsequent_indent="  ")]
        fig.text(0.07, y - 0.022, "\n".join(guide), fontsize=8.5, va="top")
        y -= 0.03 + 0.0125 * len(guide)
    elif overlays is not None:
        y -= 0.03  # room for the pictures' two-line titles
        h = min(0.25, y - 0.24)
        get = (lambda i: frames.get(i)) if frames is not None else (lambda i: None)  # noqa: E731
        flags = "; ".join(P.fault_short(f.code, f.side, f.severity) for f in worst.faults)
        _picture(fig.add_axes([0.05, y - h - 0.01, 0.44, h]), a, worst, get(worst.worst_frame), overlays,
                 f"Worst moment: rep {worst.rep.index} ({flags})" if flags else
                 f"Rep {worst.rep.index} at its deepest judged moment (no fault)")
        if best is not None and worst.faults:
            flags = "; ".join(P.fault_short(f.code, f.side, f.severity) for f in best.faults) or "no fault"
            _picture(fig.add_axes([0.51, y - h - 0.01, 0.44, h]), a, best, get(best.worst_frame), overlays,
                     f"For comparison: rep {best.rep.index} ({flags})")
        y -= h + 0.03
    if a.plan.items:
        fig.text(0.07, y, "Start with these exercises (the training plan at the end has the details)", fontsize=11,
                 weight="bold", va="top")
        top = "\n".join(f"{k}. {i.drill.name}: {i.dose}" for k, i in enumerate(a.plan.items[:3], 1))
        fig.text(0.07, y - 0.02, top, fontsize=9, va="top")
    fig.text(0.07, 0.115, "When to see a professional", fontsize=10, weight="bold", va="top", color="#8b0000")
    fig.text(0.07, 0.097, _wrap(ex.SAFETY, 118), fontsize=7.5, va="top")
    legend = "; ".join(P.LEGEND).replace("   ", "; ")
    fig.text(0.07, 0.03, _wrap("Left and right are the subject's own sides. Pictures: " + legend, 130),
             fontsize=7, color="#555")
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
        self.flags = fig.text(0.07, 0.915, "", fontsize=9.5, va="top")
        titles = ["Judged knee measure (deg, + = toward valgus)",
                  "Knee over 2nd toe: medial deviation (% of leg length, + = inward)",
                  "Frontal plane projection angle, FPPA (deg, + = valgus)",
                  "Pelvic drop (deg, + = left side lower)"]
        self.axes, self.lines, self.spans = [], [], []
        for k, title in enumerate(titles):
            ax = fig.add_axes([0.1, 0.68 - k * 0.135, 0.52, 0.105])
            ax.set_title(title, fontsize=8, loc="left", pad=3, y=1.0)  # y: no auto-placement
            ax.tick_params(labelsize=7, labelbottom=k == 3)  # time labels once, under the last panel
            ax.yaxis.set_major_locator(MaxNLocator(4))  # few labels: they never collide, even on short panels
            if k < 3:  # trusted (solid) and untrusted (faint) line per side
                styles = ((1.6, 1.0, "{} knee"), (0.8, 0.35, None))
                self.lines.append([ax.plot([], [], color=SIDE_LINE[s], lw=lw, alpha=al,
                                           label=lab and lab.format(s.value))[0]
                                   for s in SIDES for lw, al, lab in styles])
            else:
                self.lines.append([ax.plot([], [], color="k", lw=1.4)[0]])
            self.axes.append(ax)
        # the legend sits above the panels, never over a curve
        fig.legend(handles=[self.lines[0][0], self.lines[0][2]], loc="upper left", bbox_to_anchor=(0.09, 0.82),
                   ncol=2, fontsize=7, frameon=False)
        self.axes[3].set_xlabel("time (s); dashed line = bottom of the rep; grey = knee not trusted", fontsize=7)
        self.bottoms = [ax.axvline(0, color="k", ls="--", lw=0.8) for ax in self.axes]
        self.img_ax = fig.add_axes([0.64, 0.31, 0.33, 0.52])
        self.img_ax.axis("off")
        # the numbers table as three column texts: a padded fixed-width block had twice the glyphs to lay out
        self.numbers = [fig.text(x, 0.235, "", fontsize=9, va="top", ha=ha, linespacing=1.5)
                        for x, ha in ((0.07, "left"), (0.55, "right"), (0.68, "right"))]

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
        flagged = [f"{P.fault_short(f.code, f.side, f.severity)} ({P.signed(f.value, f.unit)})" for f in r.faults]
        # without a fault, the rep's line as the video and terminal word it: green only when every knee was judged
        words, tone = P.rep_text(r.faults, r.knee_verdicts, r.hip_verdict)
        text = ("Flagged: " + "; ".join(flagged)) if flagged else "Flagged: no fault" if tone is P.Tone.OK else words
        notes = "".join(f". Note: {n}" for n in P.outside_toe_notes(r, self.cfg))
        self.flags.set_text(_wrap(text + notes, 105))
        self.flags.set_color("#b00000" if flagged else "#206020" if tone is P.Tone.OK else "#555555")
        trusted = m.knee_trusted[sl]
        for k, data in enumerate((a.valgus_measure[sl], 100 * m.knee_toe_dev[sl], m.fppa_deg[sl])):
            for si in range(2):
                ok = trusted[:, si]
                self.lines[k][2 * si].set_data(tt, np.where(ok, data[:, si], np.nan))
                self.lines[k][2 * si + 1].set_data(tt, np.where(~ok, data[:, si], np.nan))
            self._limits(self.axes[k], tt, data)
            self.spans += _shade_untrusted(self.axes[k], tt, ~trusted.all(1))
        self.th = self.cfg.valgus_for(r.measure_kind)
        self.axes[0].set_title(f"Judged knee measure: {P.MEASURE_WORDS[r.measure_kind]} (deg, + = toward valgus)",
                               fontsize=8, loc="left", pad=3, y=1.0)
        self._bands(m, sl, tt)
        for b in self.bottoms:
            b.set_xdata([t[r.rep.bottom]] * 2)
        self._picture(r, frame, overlay)
        for col, text in zip(self.numbers, _numbers(a, r)):
            col.set_text(text)
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
            self.img_ax.set_title("", y=1.0)
            self.img_ax.text(0.5, 0.5, "(no video frame:\nanalysed from landmarks)", ha="center", fontsize=9)
            return
        ov = dataclasses.replace(overlay, values=P.picture_values(a.valgus_measure[wf], r.knee_verdicts), legend=False)
        self.img_ax.imshow(drawn_frame(frame, a, wf, ov)[..., ::-1])
        which = "Deepest judged moment" if any(v.judged for v in r.knee_verdicts) else "The rep's deepest moment"
        self.img_ax.set_title(f"{which}, {a.track.t[wf]:.2f} s", fontsize=9, y=1.0)

    @staticmethod
    def _limits(ax, tt, data) -> None:
        finite = data[np.isfinite(data)]
        lo, hi = (finite.min(), finite.max()) if finite.size else (-1.0, 1.0)
        margin = max(0.05 * (hi - lo), 0.5)
        ax.set_xlim(tt[0], tt[-1] if len(tt) > 1 else tt[0] + 1)
        ax.set_ylim(lo - margin, hi + margin)


def _numbers(a, r) -> tuple[str, str, str]:
    """The rep's numbers as three columns of lines: labels, left, right (texts: far cheaper than a table)."""
    sm = r.sides
    rows = [("", "Left", "Right"),
            ("Knee valgus measure (deg)",) + tuple(_fmt(x.valgus_measure_deg) for x in sm),
            ("Peak FPPA (deg)",) + tuple(_fmt(x.fppa_deg) for x in sm),
            ("Knee medial of toe (% leg)",) + tuple(_fmt(x.knee_toe_medial_pct) for x in sm),
            ("Frames judged / trusted",) + tuple(f"{len(r.judged_frames(s))} / {x.trusted_frames}"
                                                 for s, x in zip(SIDES, sm)),
            ("Pelvic drop (deg, lower side)",) + _by_side(r.pelvic_drop_deg, r.pelvic_drop_side),
            ("Trunk lean (deg, toward side)",) + _by_side(r.trunk_lean_deg, r.trunk_lean_side),
            ("Knee/ankle separation", _fmt(r.knee_sep_ratio), ""),
            ("Left minus right knee (deg)", _fmt(r.asymmetry_deg), ""),
            ("Depth (hip drop / leg length)", _fmt(r.rep.depth), ""),
            ("Likely driver (a hint)",) + tuple(P.DRIVER_SHORT[c.driver.value] if c else "—" for c in r.causes)]
    return tuple("\n".join(col) for col in zip(*rows))


def _by_side(value: float, side) -> tuple[str, str]:
    """A one-sided measure in the column of the side it points to (the other column shows a dash)."""
    if not np.isfinite(value):
        return "—", "—"
    if side is None:
        return _fmt(0.0), _fmt(0.0)
    return (_fmt(abs(value)), "—") if side is SIDES[0] else ("—", _fmt(abs(value)))


def _fmt(v: float) -> str:
    return "—" if not np.isfinite(v) else f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"


def _plan_blocks(a) -> list[list[tuple[str, str]]]:
    """The plan as blocks of ``(style, line)``; a block is never split across pages."""
    plan, blocks = a.plan, []
    if plan.items:
        blocks.append([("body", ln) for ln in textwrap.wrap(ex.DOSE_RULE, 105)])
    for k, item in enumerate(plan.items, 1):
        d = item.drill
        faults = ", ".join(f"{P.fault_phrase(c, s)}" for c, s in item.addresses)
        lines = [("head", ln) for ln in textwrap.wrap(f"{k}. {d.name} ({d.kind}): {item.dose}", 88,
                                                       subsequent_indent="    ")]
        for label, text in (("For", faults), ("How", d.how), ("Why", d.why), ("Source", d.source.title)):
            lines += [("body", ln) for ln in textwrap.wrap(f"{label}: {text}", 105, initial_indent="   ",
                                                           subsequent_indent="      ")]
        blocks.append(lines)
    if plan.cues:
        blocks.append([("head", "While you move, think:")]
                      + [("body", ln) for c in plan.cues for ln in textwrap.wrap(
                          f'"{c.text}" ({c.source.title})', 105, initial_indent="   • ", subsequent_indent="     ")])
    if not plan.items:
        nf = P.no_fault_words(a.reps)
        blocks.append([("head", nf.head)] + [("body", ln) for ln in textwrap.wrap(nf.body_sentence(), 105)])
    safety = ex.SAFETY + " Sources: " + "; ".join(s.title for s in ex.SAFETY_SOURCES) + "."
    blocks.append([("head", "When to see a professional")] + [("body", ln) for ln in textwrap.wrap(safety, 105)])
    blocks.append([("head", "What the measurements cannot show")]
                  + [("body", ln) for ln in textwrap.wrap(ex.MEASUREMENT_LIMITS, 105)])
    return blocks


def _plan_pages(pdf, plt, a) -> None:
    """The training plan: whole blocks per page; a plan that would spill a few lines is set tighter instead."""
    blocks = _plan_blocks(a)
    total = sum(len(b) + 1 for b in blocks)
    step = 0.0142 if total <= 60 else 0.0142 * 60 / total if total <= 70 else 0.0142  # one page when close
    pages, page, used = [], [], 0
    for b in blocks:
        if page and (used + len(b) + 1) * step > 0.88:
            pages.append(page)
            page, used = [], 0
        page.append(b)
        used += len(b) + 1
    pages.append(page)
    for n, page in enumerate(pages):
        fig = plt.figure(figsize=A4)
        fig.text(0.07, 0.96, "Training plan" + (" (continued)" if n else ""), fontsize=16, weight="bold")
        y = 0.925
        for block in page:
            for style, ln in block:
                fig.text(0.07, y, ln, fontsize=10.5 if style == "head" else 9, va="top",
                         weight="bold" if style == "head" else "normal")
                y -= step
            y -= step
        pdf.savefig(fig)
        plt.close(fig)


@dataclasses.dataclass(frozen=True)
class PageShare:
    """The end of the report another process draws: the pages of the reps from index ``start`` on and the
    training plan, as one PDF that ``fetch()`` waits for (None if they could not be drawn there: then here)."""

    start: int
    fetch: Callable[[], bytes | None]


def _matplotlib():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages
    return plt, PdfPages


def _draw_reps(pdf, plt, a, reps, frames, overlays) -> None:
    if reps:
        page = _RepPage(plt, a)
        for r in reps:
            page.draw(pdf, r, frames.get(r.worst_frame) if frames is not None else None, overlays.at(r.worst_frame))
        plt.close(page.fig)


def tail_pages(analysis, start: int, frames, overlays) -> bytes:
    """The pages of the reps from index ``start`` on and the plan, as one PDF: the share of a
    :class:`PageShare` (drawn in :mod:`knee_cv.early_worker`)."""
    plt, PdfPages = _matplotlib()
    buf = io.BytesIO()
    with PdfPages(buf) as pdf:
        _draw_reps(pdf, plt, analysis, analysis.reps[start:], frames, overlays)
        _plan_pages(pdf, plt, analysis)
    return buf.getvalue()


def write_pdf(path: Path, result, *, frames=None, overlays=None, share: PageShare | None = None) -> None:
    """Write report.pdf of a :class:`knee_cv.api.Result` atomically.

    Parameters
    ----------
    frames : object with ``get(index) -> ndarray | None``, optional
        The worst frames of the reps (BGR), for example a :class:`knee_cv.outputs.FramePass`.
    overlays : OverlayModel, optional
        Built from the analysis if not given.
    share : PageShare, optional
        The later rep pages and the plan, drawn meanwhile in another process; joined after this one's pages.
    """
    from .present import OverlayModel

    plt, PdfPages = _matplotlib()
    a = result.analysis
    overlays = overlays or (OverlayModel.from_analysis(a) if a.reps else None)
    title = "knee-cv report" + (f": {P.printable(result.session.subject)}" if result.session.subject else "")
    meta = {"Title": title, "Creator": "knee-cv"}
    mine = a.reps if share is None else a.reps[:share.start]
    with atomic_path(path) as tmp:
        with PdfPages(tmp if share is None else (own := io.BytesIO()), metadata=meta) as pdf:
            _summary_page(pdf, plt, result, frames, overlays)
            _draw_reps(pdf, plt, a, mine, frames, overlays)
            if share is None:
                _plan_pages(pdf, plt, a)
        if share is not None:
            _join(tmp, own, share.fetch() or tail_pages(a, share.start, frames, overlays), meta=meta)


def _join(path: Path, *parts, meta: dict) -> None:
    """Write the PDFs ``parts`` (bytes or file objects), one after the other, as one PDF."""
    from pypdf import PdfWriter

    out = PdfWriter()
    for part in parts:
        out.append(io.BytesIO(part) if isinstance(part, bytes) else part)
    out.add_metadata({f"/{k}": v for k, v in meta.items()})
    with open(path, "wb") as f:
        out.write(f)
