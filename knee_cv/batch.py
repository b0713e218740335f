"""Batch analysis of a folder of videos: parallel, resumable, safe with bad files, runnable on a Dask cluster.

The unit of work is :func:`process_video`, a plain function of a :class:`Job`
that returns a small dict. Local worker processes and Dask workers run exactly
the same function; only the executor differs.
"""
from __future__ import annotations

import csv
import dataclasses
import glob
import io
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from . import exercises as ex
from . import present as P
from .codes import FaultCode, Severity, Side, Verdict, ViewClass
from .discover import CACHE_DIR, assign_outputs, discover, read_subjects, subject_of
from .errors import InputError, KneeCvError
from .files import atomic_path, ensure_dir, exclusive_lock, stop_on_signals, write_atomic
from .meta import Session
from .models import sha256_of
from .progress import Judging
from .reps import Exercise
from .settings import Settings, settings_key

log = logging.getLogger(__name__)



# --- one video ---------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Job:
    """Everything a worker needs for one video (picklable)."""

    video: str
    out_dir: str
    cache_dir: str
    settings: Settings = Settings()
    model: str = "full"
    pdf: bool = True
    annotate: bool = True
    force: bool = False
    exercise: str | None = None   # the movement if the user set it (Exercise value)
    session: Session = Session()  # subject, date and notes for this video's report
    db: str | None = None         # the history database to record a session with a subject in


def _complete(out_dir: Path, sha: str, key: str, job: Job) -> dict | None:
    """The existing report if the folder holds a finished result for this content, settings and flags."""
    try:
        rep = json.loads((out_dir / "report.json").read_text())
    except (OSError, ValueError):
        return None
    want = {"pdf": job.pdf, "annotate": job.annotate, "settings": key, "exercise": job.exercise}
    if rep.get("video", {}).get("sha256") != sha or rep.get("batch") != want:
        return None
    if not all((out_dir / name).is_file() for name in rep.get("outputs", [])):
        return None
    return rep


def _clean_partial(out_dir: Path) -> None:
    """Remove temporary files a killed run left behind (finished files are only ever renamed into place)."""
    for tmp in out_dir.glob(".*"):
        if tmp.is_file():
            tmp.unlink()


def _drop_if_empty(out_dir: Path) -> None:
    if out_dir.is_dir() and not any(out_dir.iterdir()):
        out_dir.rmdir()


def _fault_words(f: dict) -> str:
    """A fault from report.json in the words every output uses."""
    return P.fault_short(FaultCode(f["code"]), Side(f["side"]), Severity(f["severity"]))


def _row(job: Job, status: str, rep: dict | None, sha: str | None, seconds: float, reason: str = "") -> dict:
    d = {"path": job.video, "out_dir": job.out_dir, "status": status, "sha256": sha, "seconds": round(seconds, 2)}
    if reason:
        d["reason"] = reason
    if rep is not None:
        d.update(subject=rep.get("session", {}).get("subject"), view=rep["view"],
                 view_class=rep.get("view_class", rep["view"]), body_yaw_deg=rep.get("body_yaw_deg"),
                 exercise=rep["exercise"], n_reps=len(rep["reps"]),
                 reps=[{"index": r["index"], "bottom_s": r["bottom_s"], "left": r["left"]["verdict"],
                        "right": r["right"]["verdict"], "hip": r["hip_verdict"],
                        "left_judged": r["left"]["judged"], "right_judged": r["right"]["judged"],
                        "hip_judged": r["hip_judged"], "faults": [_fault_words(f) for f in r["faults"]]}
                       for r in rep["reps"]],
                 faults=[{k: f[k] for k in ("code", "side", "count", "severity")} for f in rep["faults"]],
                 worst=_worst(rep), warnings=rep["warnings"])
    return d


_RANK = {P.verdict_word(Verdict.of(None)): 0, **{s.value: s.rank for s in Severity}}  # verdict word -> rank


def _worst(rep: dict) -> dict:
    """Per knee and hip over a video: judged reps, the worst verdict, the worst flagged value and the commonest
    reason code of the reps not judged (None if every rep was)."""
    out = {}
    for part, verdict in (("left", lambda r: r["left"]), ("right", lambda r: r["right"]),
                          ("hip", lambda r: {"verdict": r["hip_verdict"], "judged": r["hip_judged"]})):
        judged = [verdict(r)["verdict"] for r in rep["reps"] if verdict(r)["judged"]]
        why = Judging.of_report(rep, part).reason
        codes = {FaultCode.HIP_DROP} if part == "hip" else {FaultCode.KNEE_VALGUS, FaultCode.KNEE_VARUS}
        flagged = [f for f in rep["faults"] if f["code"] in codes and (part == "hip" or f["side"] == part)]
        worst_f = max(flagged, key=lambda f: (_RANK[f["severity"]], abs(f["worst_value"])), default=None)
        out[part] = {"judged_reps": len(judged),
                     "worst": max(judged, key=_RANK.get) if judged else P.NOT_JUDGED,
                     "value": worst_f["worst_value"] if worst_f else None,
                     "unit": worst_f["unit"] if worst_f else "", "not_judged_reason": why}
    return out


def _finish(job: Job, status: str, rep: dict, sha: str, t0: float) -> dict:
    v = rep["video"]
    if v.get("truncated"):  # partial results are kept, but a damaged file must not pass silently
        return _row(job, "failed", rep, sha, time.perf_counter() - t0,
                    reason=f"{job.video}: video ends early, only {v['frames_read']} of {v['frames']} announced frames "
                           "readable (partial results kept)")
    return _row(job, status, rep, sha, time.perf_counter() - t0)


def process_video(job: Job) -> dict:
    """Analyze one video into ``job.out_dir`` unless an identical result is already there.

    Never raises for a bad video: the failure comes back as ``status="failed"``
    with a one-line ``reason``, so the batch goes on.
    """
    from .api import analyze

    t0 = time.perf_counter()
    out, src = Path(job.out_dir), Path(job.video)
    sha = None
    try:
        sha = sha256_of(src)
        key = settings_key(job.settings)
        if not job.force and (rep := _complete(out, sha, key, job)) is not None:
            return _finish(job, "unchanged", rep, sha, t0)
        out.mkdir(parents=True, exist_ok=True)
        _clean_partial(out)
        cached = Path(job.cache_dir) / f"{sha}-{job.model}.npz"
        landmarks = cached if cached.is_file() and not job.force else None
        result = analyze(src, from_landmarks=landmarks, model=job.model, settings=job.settings, out_dir=out,
                         progress=False, pdf=job.pdf, annotate=job.annotate, source_sha256=sha,
                         exercise=Exercise(job.exercise) if job.exercise else None, session=job.session,
                         extra={"batch": {"pdf": job.pdf, "annotate": job.annotate, "settings": key,
                                          "exercise": job.exercise}})
        if landmarks is None:
            with atomic_path(cached) as tmp:
                shutil.copyfile(out / "landmarks.npz", tmp)
        _remember(job, result)
        return _finish(job, "analyzed" if landmarks is None else "reanalyzed_from_cache", result.report, sha, t0)
    except KneeCvError as exc:
        _drop_if_empty(out)
        return _row(job, "failed", None, sha, time.perf_counter() - t0, reason=str(exc))
    except Exception as exc:  # noqa: BLE001 - a worker boundary: one odd file must not stop a batch of hundreds
        log.exception("unexpected failure on %s", job.video)
        _drop_if_empty(out)
        return _row(job, "failed", None, sha, time.perf_counter() - t0,
                    reason=f"unexpected {type(exc).__name__}: {exc}".splitlines()[0])


def _remember(job: Job, result) -> None:
    """Record the session in the history database; a history problem is logged, the result stays."""
    if not (job.db and job.session.subject):
        return
    from .history import History, HistoryError, record_result

    try:
        with History(job.db) as h:
            record_result(h, result)
    except HistoryError as exc:
        log.warning("%s: analysed, but not recorded in the history: %s", job.video, exc)


# --- executors -----------------------------------------------------------------------

def _local_map(jobs: list[Job], workers: int) -> Iterator[dict]:
    if workers <= 1:
        for job in jobs:
            yield process_video(job)
        return
    import multiprocessing as mp

    # spawn: MediaPipe's native threads do not survive fork
    pool = mp.get_context("spawn").Pool(workers)
    try:
        yield from pool.imap_unordered(process_video, jobs)
        pool.close()
        pool.join()  # let the workers exit on their own: killed on their way out, they leaked a semaphore
    finally:  # stopped early (a signal, Ctrl+C, an error): no worker may outlive the batch
        pool.terminate()
        pool.join()


def _dask_map(jobs: list[Job], address: str) -> Iterator[dict]:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise KneeCvError("--cluster needs Dask: pip install 'dask[distributed]'") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise KneeCvError(f"cannot reach the Dask scheduler at {address} ({exc})") from None
    try:
        futures = client.map(process_video, jobs, pure=False)
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        client.close()


# --- the batch -----------------------------------------------------------------------

SUMMARY_COLUMNS = ["subject", "path", "status", "exercise", "view", "view_class", "judged", "reps",
                   *[f"{p}_{k}" for p in ("left", "right", "hip")
                     for k in ("judged_reps", "worst", "worst_value", "not_judged_reason")],
                   "warnings", "reason"]


def summary_csv(rows: list[dict]) -> str:
    """One row per video: the worst verdict and value per knee and hip, how many reps each was judged on."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(SUMMARY_COLUMNS)
    for r in sorted(rows, key=lambda r: r["path"]):
        worst = r.get("worst") or {}
        parts = [v for p in ("left", "right", "hip") for v in
                 ((worst[p]["judged_reps"], worst[p]["worst"], worst[p]["value"],
                   worst[p].get("not_judged_reason") or "") if p in worst else ("",) * 4)]
        judged = any(worst[p]["judged_reps"] for p in worst) if worst else ""
        w.writerow([P.csv_cell(r.get("subject") or ""), P.csv_cell(r["path"]), r["status"], r.get("exercise", ""),
                    r.get("view", ""), r.get("view_class", ""), judged, r.get("n_reps", ""), *parts,
                    " ".join(w["code"] for w in r.get("warnings", [])),
                    P.csv_cell(r.get("reason", ""))])
    return buf.getvalue()


def reps_csv_all(rows: list[dict]) -> str:
    """Every video's per-rep rows (its own reps.csv) with the video's path first."""
    out = io.StringIO()
    w = csv.writer(out)
    header = False
    for r in sorted(rows, key=lambda r: r["path"]):
        try:
            lines = list(csv.reader(io.StringIO((Path(r["out_dir"]) / "reps.csv").read_text())))
        except OSError:
            continue
        if lines and not header:
            w.writerow(["path", *lines[0]])
            header = True
        w.writerows([P.csv_cell(r["path"]), *line] for line in lines[1:])
    return out.getvalue()


def write_summary(out: Path, rows: list[dict], skipped: list[dict], total: int) -> dict:
    failed = [{"path": r["path"], "reason": r["reason"]} for r in rows if r["status"] == "failed"]
    summary = {"schema_version": 1, "videos": sorted(rows, key=lambda r: r["path"]), "failed": failed,
               "skipped": skipped, "counts": {"candidates": total, "done": len(rows), "failed": len(failed),
                                              "skipped": len(skipped)}}
    write_atomic(out / "summary.json", json.dumps(summary, indent=2))
    write_atomic(out / "summary.csv", summary_csv(rows))
    write_atomic(out / "reps.csv", reps_csv_all(rows))
    return summary


def run_batch(inputs: list[str], *, out: str | Path, workers: int | None = None, settings: Settings = Settings(),
              model: str = "full", pdf: bool = True, annotate: bool = True, force: bool = False,
              cluster: str | None = None, progress: bool = True, exercise: str | None = None,
              session: Session = Session(), subjects: str | Path | None = None, db: str | Path | None = None,
              on_result: Callable[[dict], None] | None = None) -> dict:
    """Analyze every video under ``inputs`` into ``out``; returns the summary dict (also written to disk).

    ``summary.json`` and ``summary.csv`` are rewritten (atomically) after every
    video, so an interrupted batch still leaves an accurate partial summary. Each video's subject comes from
    ``subjects`` (a CSV of ``file,subject`` rows; default ``subjects.csv`` in an input folder), else from the
    folder it sits in below the input folder, else ``session.subject``.
    """

    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: --out must be a folder, and this is a file")
    missing = [i for i in inputs if not glob.has_magic(i) and not Path(i).exists()]
    if missing:  # a mistyped folder is an error, not "0 videos"
        raise InputError(f"no such file or folder: {', '.join(missing)}")
    found, skipped = discover(inputs, exclude=out)
    if not found:
        missing = [s["path"] for s in skipped if s["reason"] == "no such file or folder"]
        others = len(skipped) - len(missing)
        raise InputError("no videos found in " + ", ".join(inputs)
                         + (f"; no such file or folder: {', '.join(missing)}" if missing else "")
                         + (f"; {others} other files skipped" if others else ""))
    ensure_dir(out, "results folder")
    with exclusive_lock(out / CACHE_DIR / "batch.lock", f"--out {out}"), stop_on_signals():
        return _run(found, skipped, inputs, out=out, workers=workers, settings=settings, model=model, pdf=pdf,
                    annotate=annotate, force=force, cluster=cluster, progress=progress, exercise=exercise,
                    session=session, subjects=subjects, db=db, on_result=on_result)


def _run(found, skipped, inputs, *, out: Path, workers, settings, model, pdf, annotate, force, cluster, progress,
         exercise, session, subjects, db, on_result) -> dict:
    """The batch itself, under the lock on ``out``."""
    from tqdm import tqdm

    targets = assign_outputs(found, out)
    cache = out / CACHE_DIR / "landmarks"
    if cluster is None:
        from . import models
        models.resolve(model)  # fail fast (and download once) before starting workers
    names = read_subjects(subjects, inputs)
    from .history import History, default_path

    db_path = str(Path(db) if db else default_path())
    jobs = [Job(str(f.path), str(targets[f.path]), str(cache), settings, model, pdf, annotate, force, exercise,
                dataclasses.replace(session, subject=subject_of(f, names, session.subject)), db_path)
            for f in found]
    if any(j.session.subject for j in jobs):
        with History(db_path):  # created (or checked) once here, before the workers write to it
            pass
    workers = workers or os.cpu_count() or 1
    rows: list[dict] = []
    results = _dask_map(jobs, cluster) if cluster else _local_map(jobs, min(workers, max(len(jobs), 1)))
    write_summary(out, rows, skipped, len(jobs))  # at once: a batch stopped before its first video still has one
    with tqdm(total=len(jobs), unit="video", desc="batch", disable=not progress, file=sys.stderr) as bar:
        for row in results:
            rows.append(row)
            write_summary(out, rows, skipped, len(jobs))
            bar.set_postfix_str(f"{Path(row['path']).name}: {row['status']}", refresh=False)
            bar.update()
            if on_result:
                on_result(row)
    return write_summary(out, rows, skipped, len(jobs))


def _no_fault(row: dict) -> str:
    """A video's batch line without a fault: "no faults" only if a knee was judged, else what was not and why
    (``no knee judged (body turned)``, ``nothing judged (side view)``)."""
    worst = row.get("worst") or {}
    if any(worst.get(k, {}).get("judged_reps") for k in ("left", "right")):
        return "no faults"
    codes = [worst.get(k, {}).get("not_judged_reason") for k in ("left", "right", "hip")]
    why = P.reason_words(next((c for c in codes if c), None)) if any(codes) else "no reps"
    return f"{'no knee' if worst.get('hip', {}).get('judged_reps') else 'nothing'} judged ({why})"


def batch_text(summary: dict, out: Path) -> str:
    c = summary["counts"]
    by = {}
    for r in summary["videos"]:
        by[r["status"]] = by.get(r["status"], 0) + 1
    lines = [f"knee-cv batch: {c['candidates']} videos: " + ", ".join(f"{n} {s}" for s, n in sorted(by.items()))
             + (f"; {c['skipped']} other files skipped" if c["skipped"] else "")]
    for r in summary["videos"]:
        if r["status"] == "failed":
            continue
        flagged = sorted({P.fault_phrase(FaultCode(f["code"]), Side(f["side"])) for f in r.get("faults", [])})
        view = P.view_words(ViewClass(r["view_class"]), r["body_yaw_deg"])
        lines.append(f"  {P.printable(r['path'])}: {P.count(r['n_reps'], 'rep')}, {view}; "
                     + (f"faults: {', '.join(flagged)}" if flagged else _no_fault(r))
                     + P.warning_words([w["code"] for w in r.get("warnings", [])]))
    for f in summary["failed"]:
        reason = f["reason"].removeprefix(f"{f['path']}: ")  # the path is already at the start of the line
        lines.append(f"  FAILED {P.printable(f['path'])}: {P.printable(reason)}")
    lines.append(f"  Summary: {out / 'summary.csv'} and {out / 'summary.json'}")
    lines.append("  " + ex.SAFETY)
    return "\n".join(lines)
