"""Command line: parses arguments and calls one library function per command."""
from __future__ import annotations

import argparse
import errno
import logging
import sys
from pathlib import Path

from . import __version__
from .errors import KneeCvError


def _check_out(out: str | None) -> None:
    if out is not None and not out.strip():
        from .errors import InputError
        raise InputError("--out is empty: give a folder name, or leave --out out for the default")


def _analyze(args: argparse.Namespace) -> int:
    from .api import analyze, print_summary
    from .settings import load_settings

    _check_out(args.out)
    result = analyze(args.video, from_landmarks=args.from_landmarks, model=args.model,
                     settings=load_settings(args.config), out_dir=args.out, progress=not args.quiet,
                     pdf=args.pdf, annotate=args.annotate, exercise=_exercise(args), session=_session(args),
                     crop=args.crop)
    print_summary(result)
    _remember(args, result)
    return 0


def _screen(args: argparse.Namespace) -> int:
    from .screen_out import run_screen, screen_text
    from .settings import load_settings

    _check_out(args.out)
    res = run_screen(args.videos, out_dir=args.out or "knee_cv_out/screen", camera=args.camera,
                     source=args.source, model=args.model, settings=load_settings(args.config),
                     session=_session(args), progress=not args.quiet, pdf=args.pdf, headless=args.headless)
    print(screen_text(res))
    return 0


def _remember(args: argparse.Namespace, result) -> None:
    """Record a session with a subject in the history database (``--db``, ``KNEE_CV_DB`` or the default)."""
    if not result.session.subject:
        return
    from .history import History, record_result

    with History(args.db) as h:
        record_result(h, result)
    print(f"  History: session recorded for {result.session.subject} in {h.path}")


def _history(args: argparse.Namespace) -> int:
    from .history import History
    from .progress import history_csv, history_text, write_history_plot

    if args.list or not args.subject:
        with History(args.db, create=False) as h:
            rows = h.subjects()
        print("\n".join([f"knee-cv history: {len(rows)} subject(s) in {h.path}"]
                        + [f"  {name}: {n} session(s), last {last[:10]}" for name, n, last in rows]))
        return 0
    with History(args.db, create=False) as h:
        sessions = h.sessions(args.subject)
        if args.delete:
            if not args.yes and input(f"Delete all {len(sessions)} session(s) of {args.subject}? [y/N] ").strip()\
                    .lower() not in ("y", "yes"):
                print("Nothing deleted.")
                return 1
            n = h.delete(args.subject)
            print(f"Deleted {args.subject} and {n} session(s) from {h.path}")
            return 0
    print(history_text(args.subject, sessions))
    from .files import ensure_dir, write_atomic

    out = ensure_dir(Path(args.out or Path("knee_cv_out") / "history"))
    write_history_plot(args.subject, sessions, out / "history.pdf", out / "history.png")
    print(f"  Plot: {out / 'history.pdf'} and {out / 'history.png'}")
    if args.csv:
        write_atomic(Path(args.csv), history_csv(sessions))
        print(f"  Table: {args.csv}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from .files import ensure_dir
    from .progress import compare_lines, summary_of, write_compare_pdf

    a, b = summary_of(args.a, args.db), summary_of(args.b, args.db)
    print(f"knee-cv compare: {a.date[:10]} → {b.date[:10]}")
    print("\n".join("  " + ln for ln in compare_lines(a, b)))
    out = ensure_dir(Path(args.out or Path("knee_cv_out") / "compare"))
    write_compare_pdf(a, b, out / "compare.pdf")
    print(f"  PDF: {out / 'compare.pdf'}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .api import print_summary
    from .demo import check_text, run_demo
    from .reps import Exercise

    demo = run_demo(exercise=Exercise(args.exercise), video_dir=args.video_dir, out_dir=args.out, model=args.model,
                    progress=not args.quiet, pdf=args.pdf, annotate=args.annotate)
    print(f"Rendered {demo.video} (truth: {demo.video.with_suffix('.truth.json')})")
    print_summary(demo.result)
    print(check_text(demo.check))
    return 0


def _batch(args: argparse.Namespace) -> int:
    from .batch import batch_text, run_batch
    from .settings import load_settings

    _check_out(args.out)
    out = Path(args.out)
    summary = run_batch(args.inputs, out=out, workers=args.workers, settings=load_settings(args.config),
                        model=args.model, pdf=args.pdf, annotate=args.annotate, force=args.force,
                        cluster=args.cluster, progress=not args.quiet,
                        exercise=_exercise(args).value if _exercise(args) else None,
                        session=_session(args), subjects=args.subjects, db=args.db)
    print(batch_text(summary, out))
    return 1 if summary["failed"] else 0


def _live(args: argparse.Namespace) -> int:
    from .api import print_summary
    from .live_loop import run_live
    from .settings import load_settings

    result = run_live(camera=args.camera, source=args.source, out=args.out, model=args.model,
                      settings=load_settings(args.config), headless=args.headless, record=args.record,
                      pdf=args.pdf, exercise=_exercise(args), session_meta=_session(args), voice=args.voice,
                      set_reps=args.set, sides=args.sides)
    print_summary(result)
    _remember(args, result)
    st = result.report["live"]["stats"]
    print(f"  Live: {st['frames_processed']} frames at {st['fps']} fps, {st['frames_dropped']} dropped, latency "
          f"median {st['latency_ms']['median']} ms, p95 {st['latency_ms']['p95']} ms")
    return 0


def _models(args: argparse.Namespace) -> int:
    from . import models

    if args.action == "list":
        print(f"models directory: {models.models_dir()}")
        rows = models.status()
        for spec, path, state in rows:
            print(f"  {spec.name:<6} {state:<9} {path}  sha256 {spec.sha256[:16]}…")
        if any(state != "ok" for *_, state in rows):
            print("  get one: knee-cv models fetch NAME (or --from FILE for a copy you have; README, \"Models\")")
        return 0
    names = list(models.MODELS) if args.name == "all" else [args.name]
    for name in names:
        spec = models.MODELS[name]
        if args.src:
            path = models.install(spec, Path(args.src))
        else:
            path = models.resolve(name, allow_download=not args.offline).path
        print(f"{name}: verified {path}")
    return 0


def _session(args: argparse.Namespace):
    from .meta import Session

    return Session(args.subject, args.date, args.notes)


def _guide(args: argparse.Namespace) -> int:
    from .guide import guide_text, write_diagram

    print(guide_text())
    if args.picture:
        print(f"\nDiagram: {write_diagram(Path(args.picture))}")
    return 0


def _crop(text: str):
    """``--crop W:H:X:Y`` (ffmpeg's order) as a :class:`knee_cv.zoom.Crop`; argparse reports a ValueError."""
    from .zoom import Crop

    try:
        w, h, x, y = (int(v) for v in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give width:height:left:top in whole pixels, "
                                         "for example 640:720:0:0") from None
    return Crop(x, y, x + w, y + h)


def _exercise(args: argparse.Namespace):
    from .reps import Exercise

    return None if args.exercise == "auto" else Exercise(args.exercise)


FILMING = ("Film front-on from 2-3 m, the camera at knee-to-hip height, the whole body with the feet in view, "
           "hands away from the knees; knees are judged up to 30 degrees of body turn.")
LIVE_KEYS = ("keys in the live window: q quit, c recalibrate (stand still), r reset the rep counter, s snapshot, "
             "f full screen, h hide the key line")


def _db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="FILE", help="history database (default $KNEE_CV_DB, else history.sqlite3 in "
                                               "the user's data folder); sessions with --subject are recorded")


def _common(p: argparse.ArgumentParser, *, config: bool = True, video: bool = True, quiet: bool = True,
            exercise: bool = True, session: bool = True, db: bool = True) -> None:
    """Options several commands share, defined once."""
    if session:
        p.add_argument("--subject", metavar="NAME", help="who is filmed: shown on the PDF and stored in report.json")
        p.add_argument("--date", metavar="YYYY-MM-DD", help="session date (default: when the video was recorded, "
                                                             "from the file; live: today)")
        p.add_argument("--notes", metavar="TEXT", help="coach's notes for the report (for example the load used)")
        if db:
            _db(p)
    if exercise:
        p.add_argument("--exercise", default="auto", choices=["auto", "squat", "lunge", "single_leg_squat"],
                       help="the movement, if the automatic detection gets it wrong (default auto)")
    p.add_argument("--model", default="full", help="lite, full, heavy or a .task file (default full)")
    if config:
        p.add_argument("--config", metavar="TOML", help="settings file overriding thresholds")
    p.add_argument("--no-pdf", dest="pdf", action="store_false", help="do not write report.pdf")
    if video:
        p.add_argument("--no-video", dest="annotate", action="store_false", help="do not write annotated.mp4")
    if quiet:
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


class _Parser(argparse.ArgumentParser):
    """argparse, with a hint for a file name that starts with "-" (argparse takes it for an option)."""

    def error(self, message: str):
        dashed = [a for a in sys.argv[1:] if a.startswith("-") and Path(a).exists()]
        if dashed:
            message += f"; a file name that starts with '-' needs '--' before it: knee-cv analyze -- {dashed[0]}"
        super().error(message)


def _progress_commands(sub) -> None:
    """guide, history, compare and models."""
    g = sub.add_parser("guide", help="how to film a squat or lunge so that knee-cv can judge it")
    g.add_argument("--picture", metavar="FILE.png", help="also save a diagram of the camera set-up")
    g.set_defaults(func=_guide)

    h = sub.add_parser("history", help="a subject's sessions over time: table, plot, CSV; list or delete subjects",
                       epilog="People's health data must be deletable: --delete removes a subject and all their "
                              "sessions.")
    h.add_argument("subject", nargs="?", help="the subject's name as given with --subject")
    h.add_argument("--list", action="store_true", help="list the subjects and their session counts")
    h.add_argument("--out", metavar="DIR", help="where history.pdf and history.png go (default knee_cv_out/history)")
    h.add_argument("--csv", metavar="FILE", help="also export the table as CSV")
    h.add_argument("--delete", action="store_true", help="delete the subject and all their sessions (asks first)")
    h.add_argument("--yes", action="store_true", help="with --delete: do not ask")
    _db(h)
    h.set_defaults(func=_history)

    cmp_ = sub.add_parser("compare", help="compare two sessions: worst reps side by side and the change in words")
    cmp_.add_argument("a", metavar="BEFORE", help="a result folder (with report.json) or a session id from history")
    cmp_.add_argument("b", metavar="AFTER", help="a result folder or a session id")
    cmp_.add_argument("--out", metavar="DIR", help="where compare.pdf goes (default knee_cv_out/compare)")
    _db(cmp_)
    cmp_.set_defaults(func=_compare)

    m = sub.add_parser("models", help="list, fetch and verify pose models")
    m.add_argument("action", nargs="?", default="list", choices=["list", "fetch"],
                   help="list installed models (the default), or fetch and verify one")
    m.add_argument("name", nargs="?", default="full", choices=["lite", "full", "heavy", "all"],
                   help="which model (default full)")
    m.add_argument("--from", dest="src", metavar="FILE", help="install a local copy after checking its sha256")
    m.add_argument("--offline", action="store_true", help="only verify what is installed; never download")
    m.set_defaults(func=_models)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="knee-cv", description="Rep-by-rep knee valgus and hip drop screening from video.",
                                epilog=FILMING)
    p.add_argument("--version", action="version", version=f"knee-cv {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser("analyze", help="analyze a recorded squat or lunge video", epilog=FILMING)
    a.add_argument("video", nargs="?", help="mp4, mov, avi or webm file (with --from-landmarks: only for pictures)")
    a.add_argument("--from-landmarks", metavar="NPZ", help="re-analyze a saved landmarks.npz (no pose run)")
    a.add_argument("--out", metavar="DIR", help="output folder (default knee_cv_out/<video name>)")
    a.add_argument("--crop", metavar="W:H:X:Y", type=_crop, help="analyze only this part of the picture, in pixels "
                   "(width:height:left:top, as ffmpeg's crop): one person of a split-screen comparison or a group")
    _common(a)
    a.set_defaults(func=_analyze)

    _live_command(sub)

    b = sub.add_parser("batch", help="analyze a folder of videos in parallel (resumable)")
    b.add_argument("inputs", nargs="+", metavar="VIDEOS_DIR_OR_GLOB", help="folders (searched recursively) or globs")
    b.add_argument("--out", required=True, metavar="RESULTS", help="results folder")
    b.add_argument("--workers", type=int, default=None, help="parallel worker processes (default: CPU cores)")
    b.add_argument("--force", action="store_true", help="redo every video, ignoring finished results and caches")
    b.add_argument("--cluster", metavar="ADDRESS", help="run on a Dask scheduler, e.g. tcp://10.0.0.5:8786")
    b.add_argument("--subjects", metavar="CSV", help="file,subject rows naming who is in each video (default: a "
                                                     "subjects.csv in the input folder, else each video's folder name)")
    _common(b)
    b.set_defaults(func=_batch)

    _screen_command(sub)

    d = sub.add_parser("demo", help="render a mannequin clip with known faults and analyze it (no video needed)")
    d.add_argument("--exercise", default="squat", choices=["squat", "lunge", "single_leg_squat"],
                   help="which rendered movement to demonstrate (default squat)")
    d.add_argument("--out", metavar="DIR", help="analysis output folder (default knee_cv_out/demo_<exercise>)")
    d.add_argument("--video-dir", default="sample_videos", metavar="DIR",
                   help="where the rendered clip and its truth.json go (default sample_videos)")
    _common(d, config=False, exercise=False, session=False)
    d.set_defaults(func=_demo)

    _progress_commands(sub)
    return p



def _live_command(sub) -> None:
    """The ``live`` subcommand's arguments."""
    lv = sub.add_parser("live", help="live form feedback from a webcam (or a replayed video)",
                        epilog=LIVE_KEYS + ". " + FILMING)
    src = lv.add_mutually_exclusive_group()
    src.add_argument("--camera", type=int, default=0, metavar="N", help="camera index (default 0)")
    src.add_argument("--source", metavar="FILE", help="replay a video in real time as if it were a camera")
    lv.add_argument("--out", metavar="DIR", help="session outputs (default knee_cv_out/live_<time>)")
    lv.add_argument("--record", metavar="FILE.mp4", help="also save the annotated stream")
    lv.add_argument("--headless", action="store_true", help="no window (tests, machines without a screen)")
    lv.add_argument("--voice", action="store_true", help="speak the cues and the rep count (offline speech: "
                                                        "pyttsx3 with espeak-ng on Linux)")
    lv.add_argument("--set", type=int, metavar="N", help="count through a set of N reps, then show a summary, "
                                                        "write the outputs and stop")
    lv.add_argument("--sides", action="store_true", help="with --set: a single-leg set on the left leg, then on "
                                                         "the right")
    _common(lv, video=False, quiet=False)
    lv.set_defaults(func=_live)


def _screen_command(sub) -> None:
    """The ``screen`` subcommand's arguments."""
    sc = sub.add_parser("screen", help="the clinical single-leg squat screen: each leg's FPPA against the "
                                       "published norms, and the left-right difference (one PDF page)",
                        epilog="Film each leg: stand on it facing the camera and squat 5 times to about 45-60 "
                               "degrees of knee bend, hands on the hips. " + FILMING)
    sc.add_argument("videos", nargs="*", metavar="VIDEO", help="one video with both legs, or two (one per leg)")
    sc.add_argument("--camera", type=int, metavar="N", help="guided live screen from camera N instead: 5 reps "
                                                            "on the left leg, then 5 on the right")
    sc.add_argument("--source", metavar="FILE", help="the guided live screen on a replayed video (tests)")
    sc.add_argument("--headless", action="store_true", help="live screen without a window")
    sc.add_argument("--out", metavar="DIR", help="output folder (default knee_cv_out/screen)")
    _common(sc, video=False, exercise=False, db=False)
    sc.set_defaults(func=_screen)

#: Errors of a full or limited disk, or of an output pipe that closed: one line and exit 5, never a traceback.
_DISK_ERRORS = {errno.ENOSPC, errno.EPIPE, errno.EDQUOT, errno.EFBIG, errno.EROFS}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except KneeCvError as exc:
        from .present import printable
        print(f"knee-cv: error: {printable(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("knee-cv: interrupted; what was finished is kept", file=sys.stderr)
        return 130
    except OSError as exc:
        if exc.errno not in _DISK_ERRORS:
            raise
        from .present import printable
        print(f"knee-cv: error: cannot write {printable(str(exc.filename or 'the output'))}: "
              f"{exc.strerror} (free some space or choose another --out); finished files are kept", file=sys.stderr)
        return 5


if __name__ == "__main__":
    sys.exit(main())
