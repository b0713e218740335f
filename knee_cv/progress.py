"""Progress over sessions: the history table, its plot, and the comparison of two sessions.

A change is called progress only beyond the smallest detectable difference
(:data:`knee_cv.present.SDD`), so that measurement noise is never sold as
improvement. Words and colours come from :mod:`knee_cv.present`.
"""
from __future__ import annotations

import collections
import csv
import dataclasses
import io
import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import present as P
from .errors import InputError
from .files import atomic_path
from .history import SessionRow
from .norms import NORMS, SDD

PARTS = ("left", "right", "hip")

SDD_NOTE = ("A change counts as progress only beyond the smallest detectable difference: "
            + "; ".join(f"{P.PART_WORDS[p]} {SDD[p].value:g} {SDD[p].unit} ({SDD[p].source})" for p in ("left", "hip"))
            + ". Values are the judged knee measure (+ = toward valgus) and the signed pelvic drop.")


class Judging(NamedTuple):
    """How many reps of one knee (or the hip) a session judged, and the commonest reason for the others."""

    judged: int
    reps: int
    reason: str | None  # a :class:`knee_cv.codes.NotJudged` code, as stored

    @classmethod
    def of(cls, rows: list[tuple[bool, str | None]]) -> "Judging":
        """From (judged, reason code) per rep."""
        reasons = collections.Counter(r or "" for j, r in rows if not j).most_common(1)
        return cls(sum(bool(j) for j, _ in rows), len(rows), (reasons[0][0] or None) if reasons else None)

    @classmethod
    def of_report(cls, report: dict, part: str) -> "Judging":
        """From a report.json document, for ``left``, ``right`` or ``hip``."""
        return cls.of([(r["hip_judged"], r.get("hip_reason")) if part == "hip" else
                       (r[part]["judged"], r[part].get("reason")) for r in report["reps"]])

    def words(self) -> str:
        """``2 of 2 reps (body turned)``: the reps not judged and why."""
        return f"{self.reps - self.judged} of {self.reps} reps ({P.reason_words(self.reason)})"


@dataclasses.dataclass(frozen=True)
class SessionSummary:
    """One session reduced to what a comparison needs, from the database or from a report folder."""

    label: str
    date: str
    exercise: str
    median: dict[str, float | None]   # per part: median judged value over the reps
    worst: dict[str, float | None]    # per part: the value furthest toward the fault
    flagged: dict[str, float | None]  # per part: share of judged reps flagged
    video: str | None = None
    worst_s: dict[str, float | None] = dataclasses.field(default_factory=dict)  # when the worst rep bottomed
    folder: str | None = None  # the result folder, whose landmarks place the picture's crop
    judging: dict[str, Judging] = dataclasses.field(default_factory=dict)  # per part

    def never_judged(self, part: str) -> bool:
        """The part had reps and none was judged: its dashes mean "not judged", said with the reason."""
        j = self.judging.get(part)
        return j is not None and j.reps > 0 and j.judged == 0

    @classmethod
    def from_row(cls, row: SessionRow) -> "SessionSummary":
        med, worst, share, judging = {}, {}, {}, {}
        for part in PARTS:
            vals = row.values(part)
            med[part] = float(np.median(vals)) if vals else None
            worst[part] = (max(vals, key=abs) if part == "hip" else max(vals)) if vals else None
            share[part] = row.flagged_share(part)
            judging[part] = Judging.of([(p.judged, p.reason) for p in row.parts if p.part == part])
        return cls(f"session {row.id}", row.date, row.exercise, med, worst, share, video=None, judging=judging)

    @classmethod
    def from_report(cls, folder: Path) -> "SessionSummary":
        try:
            rep = json.loads((Path(folder) / "report.json").read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"{folder}: not a knee-cv result folder (no readable report.json: {exc})") from None
        med, worst, share, when, judging = {}, {}, {}, {}, {}
        for part in PARTS:
            judging[part] = Judging.of_report(rep, part)
            rows = [(r["hip_verdict"] if part == "hip" else r[part]["verdict"],
                     r["pelvic_drop_signed_deg"] if part == "hip" else r[part]["knee_valgus_deg"], r["worst_s"])
                    for r in rep["reps"] if (r["hip_judged"] if part == "hip" else r[part]["judged"])]
            vals = [(v, t) for _, v, t in rows if v is not None]
            med[part] = float(np.median([v for v, _ in vals])) if vals else None
            pick = (max(vals, key=lambda x: abs(x[0]) if part == "hip" else x[0])) if vals else (None, None)
            worst[part], when[part] = pick
            share[part] = sum(v != "ok" for v, *_ in rows) / len(rows) if rows else None
        date = (rep.get("session") or {}).get("date") or rep.get("analyzed_at") or ""
        return cls(str(folder), date, rep["exercise"], med, worst, share, rep["video"]["path"], when, str(folder),
                   judging)


def summary_of(ref: str, db: str | None) -> SessionSummary:
    """A session by result folder, or by its id in the history database."""
    if ref.isdigit() and not Path(ref).is_dir():
        from .history import History

        with History(db, create=False) as h:
            row = h.session(int(ref))
        summary = SessionSummary.from_row(row)
        folder = Path(row.report_path)
        if (folder / "report.json").is_file():  # the pictures come from the report folder's video, if at hand
            full = SessionSummary.from_report(folder)
            summary = dataclasses.replace(summary, video=full.video, worst_s=full.worst_s, folder=full.folder)
        return summary
    return SessionSummary.from_report(Path(ref))


def history_rows(sessions: list[SessionRow]) -> list[list[str]]:
    """The history table: a header row, then one row per session; a part never judged says so in its flagged
    column (why: :func:`judging_notes`)."""
    head = ["session", "date", "exercise", "view"] + [f"{p} {k}" for p in PARTS for k in ("median", "worst", "flagged")]
    rows = [head]
    for row in sessions:
        s = SessionSummary.from_row(row)
        cells = [str(row.id), row.date[:10], row.exercise, row.view]
        for p in PARTS:
            cells += [P.number(s.median[p]), P.number(s.worst[p]),
                      P.NOT_JUDGED if s.never_judged(p) else P.share(s.flagged[p])]
        rows.append(cells)
    return rows


def judging_notes(summaries: list[SessionSummary]) -> list[str]:
    """One line per session with reps not judged: ``session 2: left knee 2 of 2 reps (body turned); ...``."""
    lines = []
    for s in summaries:
        parts = [f"{P.PART_WORDS[p]} {s.judging[p].words()}" for p in PARTS
                 if p in s.judging and s.judging[p].judged < s.judging[p].reps]
        if parts:
            lines.append(f"{s.label}: {'; '.join(parts)}")
    return lines


def history_text(subject: str, sessions: list[SessionRow]) -> str:
    """The history as a terminal table, then which reps were not judged and why."""
    rows = history_rows(sessions)
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    lines = [f"knee-cv history: {P.printable(subject)}, {len(sessions)} session(s); knee values in deg "
             "(+ = toward valgus), hip = signed pelvic drop in deg"]
    lines += ["  " + "  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
    notes = judging_notes([SessionSummary.from_row(r) for r in sessions])
    if notes:
        lines += ["  Reps not judged:"] + [f"    {n}" for n in notes]
    return "\n".join(lines)


#: history.csv's columns per part (left, right, hip), after session, date, exercise, view.
CSV_PART_COLUMNS = ("median_deg", "worst_deg", "flagged_share", "judged_reps", "reps", "not_judged_reason")


def history_csv(sessions: list[SessionRow]) -> str:
    """The history as CSV: numbers as numbers (empty where a part was never judged), with the judged and total
    reps and the commonest reason code for the reps not judged, per part."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["session", "date", "exercise", "view"] + [f"{p}_{c}" for p in PARTS for c in CSV_PART_COLUMNS])
    for row in sessions:
        s = SessionSummary.from_row(row)
        cells = [row.id, row.date[:10], row.exercise, row.view]
        for p in PARTS:
            j = s.judging[p]
            cells += [_num(s.median[p]), _num(s.worst[p]), _num(s.flagged[p], 3), j.judged, j.reps, j.reason or ""]
        w.writerow([P.csv_cell(c) for c in cells])
    return buf.getvalue()


def _num(value: float | None, digits: int = 2) -> float | str:
    return "" if value is None or value != value else round(float(value), digits)


def change(part: str, before: float | None, after: float | None, onset: float | None = None) -> str:
    """One part's change between two sessions in words, judged against the smallest detectable difference.

    ``onset``: where the fault starts (the mild threshold): two values on the good side of it are "within the
    normal range both times", not an improvement.
    """
    name = P.PART_WORDS[part]
    if before is None or after is None:
        return f"{name}: not judged in one or both sessions, no comparison"
    sdd = SDD[part]
    toward = abs(after) - abs(before) if part == "hip" else after - before  # + = further toward the fault
    level = (lambda v: abs(v)) if part == "hip" else (lambda v: v)  # noqa: E731
    if onset is not None and level(before) < onset and level(after) < onset:
        return f"{name}: {before:+.0f} → {after:+.0f} {sdd.unit}, within the normal range both times"
    if abs(toward) < sdd.value:
        verdict = f"within measurement noise (less than {sdd.value:g} {sdd.unit})"
    else:
        verdict = f"{'worse' if toward > 0 else 'improved'} beyond measurement noise ({sdd.value:g} {sdd.unit})"
    return f"{name}: {before:+.0f} → {after:+.0f} {sdd.unit}, {verdict}"


def compare_lines(a: SessionSummary, b: SessionSummary) -> list[str]:
    """The change per knee and hip, from the median judged value of each session."""
    from .reps import Exercise
    from .settings import FaultSettings

    cfg = FaultSettings()
    try:
        knee = cfg.valgus(Exercise(b.exercise)).mild
    except ValueError:
        knee = None
    onset = {"left": knee, "right": knee, "hip": cfg.hip_drop.mild}
    return [_not_judged_change(p, a, b) or change(p, a.median[p], b.median[p], onset[p]) for p in PARTS]


def _not_judged_change(part: str, a: SessionSummary, b: SessionSummary) -> str | None:
    """``left knee: not judged in the after session (body turned), no comparison``, or None if both have a value."""
    gone = [f"the {when} session ({_why(s, part)})" for when, s in (("before", a), ("after", b))
            if s.median[part] is None]
    return f"{P.PART_WORDS[part]}: not judged in {' or '.join(gone)}, no comparison" if gone else None


def _why(s: SessionSummary, part: str) -> str:
    j = s.judging.get(part)
    return "no reps" if j is None or j.reps == 0 else P.reason_words(j.reason)


def write_history_plot(subject: str, sessions: list[SessionRow], pdf_path: Path, png_path: Path) -> None:
    """Per knee and the hip over time: median and worst value per session, the share of reps flagged, the
    normal range where a published norm exists, and the smallest detectable difference."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    summ = [SessionSummary.from_row(r) for r in sessions]
    x = np.arange(len(summ))
    fig, axes = plt.subplots(3, 1, figsize=(8.27, 11.0), sharex=True)
    fig.suptitle(f"knee-cv history: {P.printable(subject).replace('$', chr(92) + '$')}", fontsize=14,
                 weight="bold")
    for ax, part in zip(axes, PARTS):
        med = np.array([np.nan if s.median[part] is None else s.median[part] for s in summ], float)
        worst = np.array([np.nan if s.worst[part] is None else s.worst[part] for s in summ], float)
        norm = NORMS.get((part, summ[-1].exercise)) if summ else None
        if norm is not None:
            ax.axhspan(norm.low, norm.high, color=P.Tone.OK.value.hex, alpha=0.5, lw=0, label=norm.label)
        sdd = SDD[part].value
        ax.errorbar(x, med, yerr=sdd / 2, fmt="o-", color="#1f3f8f", capsize=4,
                    label=f"median of the session (bar: ± half the smallest detectable difference, {sdd:g})")
        ax.plot(x, worst, "s--", color=P.Tone.SEVERE.value.hex, label="worst rep")
        _mark_judging(ax, summ, part, med)
        if not np.isfinite(np.r_[med, worst]).any():  # nothing to plot: no made-up scale around zero
            ax.set_yticks([])
        ax.set_title(P.PART_WORDS[part] + (" (signed pelvic drop, + = left side lower)" if part == "hip" else
                                           " (judged knee measure, + = toward valgus)"), fontsize=10, loc="left")
        ax.set_ylabel("deg")
        ax.legend(fontsize=7, loc="lower left", bbox_to_anchor=(0, 1.08), ncol=2, frameon=False)
    axes[-1].set_xticks(x, [f"{s.date[:10]}\n{s.label}" for s in summ], fontsize=8)
    fig.text(0.07, 0.015, SDD_NOTE, fontsize=7, color="#444", wrap=True)
    fig.tight_layout(rect=(0, 0.06, 1, 0.96))
    for path, fmt in ((pdf_path, "pdf"), (png_path, "png")):
        with atomic_path(Path(path)) as tmp:
            fig.savefig(tmp, format=fmt, dpi=90)
    plt.close(fig)


def _mark_judging(ax, summ: list[SessionSummary], part: str, med: np.ndarray) -> None:
    """Beside each session's point: the share flagged and, if some reps were not judged, how many were; where
    none was, a grey "not judged" and why at mid-height, so an empty slot is never read as "no fault"."""
    for k, s in enumerate(summ):
        j = s.judging.get(part)
        if s.never_judged(part):
            ax.text(k, 0.5, f"{P.NOT_JUDGED}\n({_why(s, part)})", transform=ax.get_xaxis_transform(), ha="center",
                    va="center", fontsize=8, color="#555", bbox={"fc": P.Tone.NOT_JUDGED.value.hex, "ec": "none"})
        elif s.flagged[part] is not None:
            partial = f"\n{j.judged} of {j.reps} reps judged" if j is not None and j.judged < j.reps else ""
            ax.annotate(f"{s.flagged[part]:.0%} flagged{partial}", (k, med[k]), textcoords="offset points",
                        xytext=(6, 8), fontsize=7)


def write_compare_pdf(a: SessionSummary, b: SessionSummary, path: Path) -> None:
    """One page: the worst rep of each session side by side (picture and numbers), and the change in words."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(8.27, 11.69))
    fig.text(0.07, 0.955, "knee-cv: two sessions compared", fontsize=17, weight="bold")
    for k, s in enumerate((a, b)):
        x0 = 0.05 + 0.47 * k
        ax = fig.add_axes([x0, 0.45, 0.43, 0.42])
        ax.axis("off")
        frame = _worst_frame(s)
        if frame is not None:
            ax.imshow(frame[..., ::-1])
        else:
            why = "the video is not at hand" if _judged_knee(s) else "no knee was judged"
            ax.text(0.5, 0.5, f"(no picture: {why})", ha="center", va="center", fontsize=8)
        ax.set_title(f"{'Before' if k == 0 else 'After'}: {s.date[:10]}\n{_tail(s.label)}", fontsize=9)
        nums = "\n".join(f"{P.PART_WORDS[p]:<11} {P.NOT_JUDGED} ({_why(s, p)})" if s.median[p] is None else
                         f"{P.PART_WORDS[p]:<11} median {P.number(s.median[p]):>6}  worst {P.number(s.worst[p]):>6}"
                         f"  flagged {P.share(s.flagged[p]):>5}" for p in PARTS)
        fig.text(x0, 0.43, nums, fontsize=7.5, family="monospace", va="top")
    fig.text(0.07, 0.33, "Change", fontsize=13, weight="bold", va="top")
    fig.text(0.07, 0.30, "\n".join("• " + ln for ln in compare_lines(a, b)), fontsize=10, va="top")
    fig.text(0.07, 0.08, SDD_NOTE, fontsize=7.5, color="#444", va="top", wrap=True)
    with atomic_path(Path(path)) as tmp:
        fig.savefig(tmp, format="pdf")
    plt.close(fig)


def _tail(label: str, n: int = 48) -> str:
    return label if len(label) <= n else "…" + label[-n:]


def _judged_knee(s: SessionSummary) -> bool:
    return s.worst["left"] is not None or s.worst["right"] is not None


def _worst_frame(s: SessionSummary) -> np.ndarray | None:
    """The frame of the worst knee's worst rep from the session's video, if the video is still there."""
    part = max(("left", "right"), key=lambda p: -1e9 if s.worst[p] is None else s.worst[p])
    t = s.worst_s.get(part)
    if s.video is None or t is None or not Path(s.video).is_file():
        return None
    from .errors import KneeCvError
    from .outputs import around_person, shrink
    from .video import iter_frames_at, probe

    track = _saved_track(s)
    try:
        info = probe(s.video)
        # the frame at that time: by the saved frame times where there are some (a phone clip's come unevenly)
        index = int(np.argmin(np.abs(track.t - t))) if track is not None else int(round(t * info.fps))
        got = list(iter_frames_at(s.video, [index], times=None if track is None else track.t, backend=info.backend))
    except (KneeCvError, OSError):
        return None
    if not got:
        return None
    img = got[0][1]
    if track is not None and index < len(track):  # crop around the person, as the report's pictures are
        img = around_person(img, track.xy[index] * (img.shape[1] / track.width))
    return shrink(img, 700)


def _saved_track(s: SessionSummary):
    """The session's saved landmarks (a :class:`~knee_cv.track.PoseTrack`), or None."""
    from .errors import KneeCvError
    from .track import PoseTrack

    marks = Path(s.folder or "") / "landmarks.npz"
    if not marks.is_file():
        return None
    try:
        return PoseTrack.load(marks)[0]
    except KneeCvError:
        return None
