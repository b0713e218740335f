"""Command line: parses arguments and calls one library function per command."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import __version__
from .errors import KneeCvError


def _analyze(args: argparse.Namespace) -> int:
    from .api import analyze, print_summary
    from .settings import load_settings

    result = analyze(args.video, from_landmarks=args.from_landmarks, model=args.model,
                     settings=load_settings(args.config), out_dir=args.out, progress=not args.quiet,
                     pdf=not args.no_pdf, annotate=not args.no_video)
    print_summary(result)
    return 0


def _models(args: argparse.Namespace) -> int:
    from . import models

    if args.action == "list":
        print(f"models directory: {models.models_dir()}")
        for spec, path, state in models.status():
            print(f"  {spec.name:<6} {state:<9} {path}  sha256 {spec.sha256[:16]}…")
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="knee-cv", description="Rep-by-rep knee valgus and hip drop screening from video.")
    p.add_argument("--version", action="version", version=f"knee-cv {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser("analyze", help="analyze a recorded squat or lunge video")
    a.add_argument("video", nargs="?", help="mp4, mov, avi or webm file")
    a.add_argument("--from-landmarks", metavar="NPZ", help="re-analyze a saved landmarks.npz (no pose run)")
    a.add_argument("--out", metavar="DIR", help="output folder (default knee_cv_out/<video name>)")
    a.add_argument("--model", default="full", help="lite, full, heavy or a .task file (default full)")
    a.add_argument("--config", metavar="TOML", help="settings file overriding thresholds")
    a.add_argument("--no-pdf", action="store_true", help="do not write report.pdf")
    a.add_argument("--no-video", action="store_true", help="do not write annotated.mp4")
    a.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    a.set_defaults(func=_analyze)

    m = sub.add_parser("models", help="list, fetch and verify pose models")
    m.add_argument("action", choices=["list", "fetch"])
    m.add_argument("name", nargs="?", default="full", choices=["lite", "full", "heavy", "all"])
    m.add_argument("--from", dest="src", metavar="FILE", help="install a local copy after checking its sha256")
    m.add_argument("--offline", action="store_true", help="only verify what is installed; never download")
    m.set_defaults(func=_models)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except KneeCvError as exc:
        print(f"knee-cv: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("knee-cv: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
