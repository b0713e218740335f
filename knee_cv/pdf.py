"""report.pdf with matplotlib only: summary, one page per rep, the training plan."""
from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import numpy as np

from . import exercises as ex
from .track import SIDES

A4 = (8.27, 11.69)
VERDICT_COLORS = {"ok": "#b7e4b7", "mild": "#fff0a0", "moderate": "#ffc36b", "severe": "#ff8a80", "n/a": "#e0e0e0"}
SIDE_LINE = {"left": "#1f77b4", "right": "#d62728"}
MAX_IMAGE_SIDE = 480  # px; keeps the PDF small


def _wrap(text: str, width: int = 95) -> str:
    return "\n".join(textwrap.fill(p, width) for p in text.split("\n"))


def _frame_at(video_path: str | None, index: int) -> np.ndarray | None:
    if not video_path:
        return None
    import cv2

    cap = cv2.VideoCapture(str(video_path))
    try:
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, img = cap.read()
        return img if ok else None
    finally:
        cap.release()


def _summary_page(pdf, plt, report: dict) -> None:
    fig = plt.figure(figsize=A4)
    v = report["video"]
    fig.text(0.07, 0.95, "knee-cv report", fontsize=20, weight="bold")
    meta = (f"Video: {Path(v['path']).name}    Date: {dt.date.today().isoformat()}\n"
            f"Exercise: {report['exercise'].replace('_', ' ')}    View: {report['view']}    "
            f"Model: {report['model']['name']}    Reps: {len(report['reps'])}    "
            f"Duration: {v['duration_s']:.1f} s")
    fig.text(0.07, 0.90, meta, fontsize=10, va="top")
    y = 0.84
    if not report["reps"]:
        why = "; ".join(report["warnings"]) or "no rep was found"
        fig.text(0.07, y, "No reps were detected.", fontsize=14, weight="bold", color="#b00000", va="top")
        fig.text(0.07, y - 0.04, _wrap("Why: " + why, 90), fontsize=10, va="top")
        y -= 0.16
    else:
        rows = [[str(r["index"]), f"{r['bottom_s']:.1f} s", r["left"]["verdict"], r["right"]["verdict"],
                 r["hip_verdict"]] for r in report["reps"]]
        n = len(rows)
        h = min(0.035 * (n + 1), 0.5)
        ax = fig.add_axes([0.07, y - h, 0.86, h])
        ax.axis("off")
        tab = ax.table(cellText=rows, colLabels=["Rep", "Bottom", "Left knee", "Right knee", "Hip"],
                       loc="upper center", cellLoc="center")
        tab.auto_set_font_size(False)
        tab.set_fontsize(10)
        tab.scale(1, 1.3)
        for (i, j), cell in tab.get_celld().items():
            if i > 0 and j >= 2:
                cell.set_facecolor(VERDICT_COLORS.get(rows[i - 1][j], "white"))
        y -= h + 0.04
    lines = []
    for f in report["faults"]:
        who = f"left and right differ ({f['side']} worse)" if f["code"] == "asymmetry" else \
            f"{f['side'].capitalize()} {ex.FAULT_WORDS[f['code']]}"
        lines.append(f"• {who}: {f['count']} of {f['of_reps']} reps, worst {f['severity']} "
                     f"({f['worst_value']:+.1f} {f['unit']}).")
    if report["reps"] and not lines:
        lines.append("• No faults found in the judged reps.")
    for w in report["warnings"]:
        lines.append(f"• Note: {w}")
    fig.text(0.07, y, "Main findings", fontsize=13, weight="bold", va="top")
    body = "\n".join(_wrap(s, 92) for s in lines)
    fig.text(0.07, y - 0.03, body, fontsize=10, va="top")
    fig.text(0.07, 0.16, "Safety", fontsize=13, weight="bold", va="top")
    fig.text(0.07, 0.13, _wrap(report["safety"], 95), fontsize=9, va="top")
    fig.text(0.07, 0.03, "Left and right are the subject's own sides.", fontsize=8, color="#555")
    pdf.savefig(fig)
    plt.close(fig)


def _shade_untrusted(ax, t, mask):
    if not mask.any():
        return
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    for a, b in zip(edges[::2], edges[1::2]):
        ax.axvspan(t[a], t[min(b, len(t) - 1)], color="#999", alpha=0.18, lw=0)


def _rep_page(pdf, plt, analysis, r, rep_report: dict, video_path: str | None, overlays: list) -> None:
    from .render import LowerBodyAnnotator

    m, t = analysis.metrics, analysis.track.t
    pad = int(0.3 * analysis.track.fps)
    sl = slice(max(r.rep.start - pad, 0), min(r.rep.end + pad + 1, len(t)))
    tt = t[sl]
    fs = analysis.settings.faults
    single = analysis.exercise.value in ("lunge", "single_leg_squat")
    th = fs.valgus_single_leg if single else fs.valgus_squat
    fig = plt.figure(figsize=A4)
    fig.text(0.07, 0.96, f"Rep {r.rep.index}   ({t[r.rep.start]:.1f}–{t[r.rep.end]:.1f} s)", fontsize=16, weight="bold")
    verdicts = ", ".join(f"{s} knee: {rep_report[s]['verdict']}" for s in SIDES) + f", hip: {rep_report['hip_verdict']}"
    flagged = [f"{f['side']} {f['code']} ({f['severity']}, {f['value']:+.1f} {f['unit']})" for f in rep_report["faults"]]
    fig.text(0.07, 0.935, verdicts, fontsize=10)
    fig.text(0.07, 0.915, "Flags: " + ("; ".join(flagged) if flagged else "none"), fontsize=10,
             color="#b00000" if flagged else "#206020")
    panels = [
        ("Knee valgus measure (deg)\n" + ("depth-adjusted FPPA" if not single else "FPPA"), analysis.measure[sl], th),
        ("Knee over 2nd toe:\nmedial deviation (% leg length)", 100 * m.knee_toe_dev[sl], None),
        ("Raw FPPA (deg)\n+ = valgus", m.fppa_deg[sl], None),
    ]
    axes = []
    for k, (label, data, thr) in enumerate(panels):
        ax = fig.add_axes([0.1, 0.70 - k * 0.13, 0.52, 0.11])
        for si, s in enumerate(SIDES):
            ok = m.knee_trusted[sl, si]
            ax.plot(tt, np.where(ok, data[:, si], np.nan), color=SIDE_LINE[s], lw=1.6, label=f"{s} knee")
            ax.plot(tt, np.where(~ok, data[:, si], np.nan), color=SIDE_LINE[s], lw=0.8, alpha=0.35)
        _shade_untrusted(ax, tt, ~m.knee_trusted[sl].all(1))
        if thr is not None:
            lo, hi = ax.get_ylim()
            top = max(hi, thr.severe + 5)
            for a, b, c in ((thr.mild, thr.moderate, "#fff0a0"), (thr.moderate, thr.severe, "#ffc36b"),
                            (thr.severe, top, "#ff8a80")):
                ax.axhspan(a, b, color=c, alpha=0.5, lw=0)
            ax.set_ylim(lo, top)
        ax.axvline(t[r.rep.bottom], color="k", ls="--", lw=0.8)
        ax.set_ylabel(label, fontsize=8)
        ax.tick_params(labelsize=8)
        axes.append(ax)
    axes[0].legend(fontsize=7, loc="lower left")
    ax = fig.add_axes([0.1, 0.31, 0.52, 0.11])
    pd_ = np.where(m.pelvis_trusted[sl], m.pelvic_drop_deg[sl], np.nan)
    ax.plot(tt, pd_, color="k", lw=1.4)
    hd = fs.hip_drop
    for sign in (1, -1):
        ax.axhspan(sign * hd.mild, sign * max(hd.severe + 3, np.nanmax(np.abs(pd_), initial=0)), color="#ffc36b",
                   alpha=0.4, lw=0)
    ax.axvline(t[r.rep.bottom], color="k", ls="--", lw=0.8)
    ax.set_ylabel("Pelvic drop (deg)\n+ = left side lower", fontsize=8)
    ax.set_xlabel("time (s); dashed = bottom; grey = knee not trusted", fontsize=8)
    ax.tick_params(labelsize=8)
    # the worst frame with the overlay
    wf = r.worst_frame
    img = _frame_at(video_path, wf)
    axi = fig.add_axes([0.64, 0.31, 0.33, 0.52])
    axi.axis("off")
    if img is not None:
        import dataclasses

        ov = dataclasses.replace(overlays[wf], values=tuple(
            f"{s[0].upper()}: {analysis.measure[wf, i]:+.0f} deg" for i, s in enumerate(SIDES)))
        LowerBodyAnnotator().annotate(img, analysis.track.xy[wf], ov)
        scale = MAX_IMAGE_SIDE / max(img.shape[:2])
        if scale < 1:
            import cv2
            img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        axi.imshow(img[..., ::-1])
        axi.set_title(f"Worst moment, {t[wf]:.2f} s", fontsize=9)
    else:
        axi.text(0.5, 0.5, "(no video frame:\nanalysed from landmarks)", ha="center", fontsize=9)
    rows = [["Knee valgus measure (deg)"] + [_fmt(rep_report[s]["knee_valgus_deg"]) for s in SIDES],
            ["Peak FPPA (deg)"] + [_fmt(rep_report[s]["fppa_deg"]) for s in SIDES],
            ["Knee medial of toe (% leg)"] + [_fmt(rep_report[s]["knee_toe_medial_pct"]) for s in SIDES],
            ["Frames judged / trusted"] + [f"{rep_report[s]['judged_frames']} / {rep_report[s]['trusted_frames']}"
                                           for s in SIDES],
            ["Pelvic drop (deg, side)", _fmt(rep_report["pelvic_drop_deg"]), str(rep_report["pelvic_drop_side"])],
            ["Knee/ankle separation", _fmt(rep_report["knee_sep_ratio"]), ""],
            ["Depth (hip drop / leg length)", _fmt(rep_report["depth"]), ""]]
    axt = fig.add_axes([0.07, 0.04, 0.86, 0.2])
    axt.axis("off")
    tab = axt.table(cellText=rows, colLabels=["", "Left", "Right"], loc="upper center", cellLoc="center")
    tab.auto_set_font_size(False)
    tab.set_fontsize(9)
    pdf.savefig(fig)
    plt.close(fig)


def _fmt(v) -> str:
    return "—" if v is None else f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"


def _plan_pages(pdf, plt, report: dict) -> None:
    blocks: list[str] = []
    if report["recommendations"]:
        for rec in report["recommendations"]:
            title = ex.FAULT_WORDS[rec["fault"]]
            blocks.append(f"## {rec['side'].capitalize()} side: {title} ({rec['severity']})")
            for e in rec["exercises"]:
                blocks.append(f"• {e['name']} [{e['kind']}], {e['dose']}\n   How: {e['how']}\n   Why: {e['why']}\n"
                              f"   Source: {e['source']}")
            for c in rec["cues"]:
                blocks.append(f"• Cue: \"{c['cue']}\"  (source: {c['source']})")
    else:
        blocks.append("## No faults found\nKeep practising the pattern: knees track over the second and third toes, "
                      "hips level.")
    blocks.append("## When to see a professional\n" + ex.SAFETY + "\nSources: " + ", ".join(ex.SAFETY_SOURCES))
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


def write_pdf(path: Path, analysis, report: dict, *, video_path: str | None = None) -> None:
    """Write report.pdf atomically (temporary file, then rename)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    tmp = path.with_name("." + path.name + ".tmp")
    with PdfPages(tmp, metadata={"Title": "knee-cv report", "Creator": "knee-cv"}) as pdf:
        _summary_page(pdf, plt, report)
        from .render import frame_overlays

        overlays = frame_overlays(analysis) if analysis.reps else []
        for r, rr in zip(analysis.reps, report["reps"]):
            _rep_page(pdf, plt, analysis, r, rr, video_path, overlays)
        _plan_pages(pdf, plt, report)
    tmp.replace(path)
