"""The library entry points the CLI calls: one function per command."""
from __future__ import annotations

import dataclasses
import importlib
import json
import logging
import sys
import threading
import time
from pathlib import Path

from . import models as model_registry
from .analysis import Analysis, analyze_track
from .errors import InputError, NoPersonError
from .pipeline import estimate_track
from .pose import PoseEstimator
from .report import ensure_dir, frames_csv, reps_csv, summary_text, to_dict, write_atomic
from .settings import Settings
from .track import PoseTrack
from .video import VideoInfo, probe, read_frames

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Result:
    """What :func:`analyze` produced. ``timings`` holds wall seconds per stage."""

    analysis: Analysis
    report: dict
    out_dir: Path
    timings: dict[str, float] = dataclasses.field(default_factory=dict)


class _Laps:
    """Records wall seconds per stage into ``timings``: each call closes the stage that just ended."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings, self._t = timings, time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self._t, 3)
        self._t = now


def _preload_matplotlib() -> None:
    """Import matplotlib in the background while pose estimation runs (~0.5 s saved on the PDF)."""
    threading.Thread(target=importlib.import_module, args=("matplotlib.backends.backend_pdf",),
                     name="knee-cv-preload", daemon=True).start()


def default_out_dir(video: str | Path, root: str | Path = "knee_cv_out") -> Path:
    return Path(root) / Path(video).stem


def ends_early(frames_read: int, frames_announced: int) -> bool:
    """A video that stops well before its announced length (an interrupted phone recording)."""
    return bool(frames_announced) and frames_read < 0.98 * frames_announced


def extract_landmarks(path: str | Path, *, model: str = "full", progress: bool = True
                      ) -> tuple[PoseTrack, VideoInfo, model_registry.ResolvedModel, list[str]]:
    """Decode ``path`` and run pose estimation on every frame.

    Returns the raw track, the container info, the model used, and warnings
    (for example a video that ends before its announced frame count).
    """
    from tqdm import tqdm

    info = probe(path)
    resolved = model_registry.resolve(model)
    warnings: list[str] = []
    with PoseEstimator(resolved) as est, tqdm(total=info.frames or None, unit="frame", desc="pose",
                                              disable=not progress, leave=False, file=sys.stderr) as bar:
        track = estimate_track(read_frames(path, info=info), est, width=info.width, height=info.height,
                               fps=info.fps, on_frame=lambda *_: bar.update())
    if ends_early(len(track), info.frames):
        warnings.append(f"video ends early: only {len(track)} of the {info.frames} announced frames were "
                        "readable (file cut off?); analyzed what was there")
    if not track.detected.any():
        raise NoPersonError(f"{path}: no person found in any of {len(track)} frames")
    return track, info, resolved, warnings


def analyze(video: str | Path | None = None, *, from_landmarks: str | Path | None = None, model: str = "full",
            settings: Settings = Settings(), out_dir: str | Path | None = None, progress: bool = True,
            pdf: bool = True, annotate: bool = True, source_sha256: str | None = None,
            extra: dict | None = None) -> Result:
    """Analyze a video (or a saved landmark file) and write every output.

    Outputs in ``out_dir``: report.json, reps.csv, frames.csv, landmarks.npz,
    and unless disabled report.pdf and annotated.mp4. With both ``video`` and
    ``from_landmarks``, the landmarks are used (no pose run) and the video only
    feeds the PDF pictures and the annotated video. ``source_sha256`` is
    recorded in ``report.json`` (batch resume), as are the ``extra`` fields.
    """
    if video is None and from_landmarks is None:
        raise InputError("give a video file or --from-landmarks FILE")
    if pdf:
        _preload_matplotlib()
    timings: dict[str, float] = {}
    lap = _Laps(timings)
    extra_warnings: list[str] = []
    if out_dir is not None:
        ensure_dir(out_dir)  # before the slow pose pass
    if from_landmarks is not None:
        raw, meta = PoseTrack.load(from_landmarks)
        video_path = str(video) if video is not None else meta.get("video_path", str(from_landmarks))
        announced = int(meta.get("frames_announced", len(raw)))
        vinfo = {"path": video_path, "fps": raw.fps, "frames": announced, "frames_read": len(raw),
                 "width": raw.width, "height": raw.height,
                 "duration_s": round(float(raw.t[-1]) if len(raw) else 0.0, 3)}
        minfo = {"name": meta.get("model_name", "unknown"), "sha256": meta.get("model_sha256", "")}
        extra_warnings += json.loads(meta.get("warnings", "[]"))
        out = Path(out_dir) if out_dir else Path(from_landmarks).parent
    else:
        raw, info, resolved, extra_warnings = extract_landmarks(video, model=model, progress=progress)
        video_path = str(video)
        vinfo = {"path": video_path, "fps": round(info.fps, 3), "frames": info.frames, "frames_read": len(raw),
                 "width": info.width, "height": info.height, "duration_s": round(len(raw) / info.fps, 3)}
        minfo = {"name": resolved.name, "sha256": resolved.sha256}
        out = Path(out_dir) if out_dir else default_out_dir(video)
    vinfo["truncated"] = ends_early(vinfo["frames_read"], vinfo["frames"])
    if source_sha256:
        vinfo["sha256"] = source_sha256
    lap("landmarks")
    return finish(raw, out=out, video=vinfo, model=minfo, warnings=extra_warnings, settings=settings,
                  video_path=video_path if video is not None else None, pdf=pdf, annotate=annotate, extra=extra,
                  keep_landmarks=from_landmarks, timings=timings)


def finish(raw: PoseTrack, *, out: Path, video: dict, model: dict, warnings: list[str], settings: Settings,
           video_path: str | None, pdf: bool, annotate: bool, extra: dict | None = None,
           keep_landmarks: str | Path | None = None, timings: dict | None = None) -> Result:
    """Analyze a raw track and write every output into ``out``; shared by ``analyze`` and live mode.

    ``video_path`` (if any) feeds the annotated video and the PDF pictures. The
    landmarks are saved unless ``keep_landmarks`` already is ``out/landmarks.npz``.
    """
    timings = {} if timings is None else timings
    lap = _Laps(timings)
    vinfo, minfo, extra_warnings = video, model, warnings
    analysis = analyze_track(raw, settings)
    analysis = dataclasses.replace(analysis, warnings=tuple(extra_warnings) + analysis.warnings)
    report = to_dict(analysis, video=vinfo, model=minfo)
    report.update(extra or {})
    ensure_dir(out)
    if keep_landmarks is None or Path(keep_landmarks).resolve() != (out / "landmarks.npz").resolve():
        tmp = out / ".landmarks.tmp.npz"
        raw.save(tmp, video_path=vinfo["path"], model_name=minfo["name"], model_sha256=minfo["sha256"],
                 warnings=json.dumps(extra_warnings), frames_announced=str(vinfo.get("frames", len(raw))))
        tmp.replace(out / "landmarks.npz")
    write_atomic(out / "reps.csv", reps_csv(report))
    write_atomic(out / "frames.csv", frames_csv(analysis))
    outputs = ["report.json", "reps.csv", "frames.csv", "landmarks.npz"]
    lap("analysis")
    frames: dict | None = None
    if annotate and video_path is not None:
        from .render import write_annotated_video
        frames = {r.worst_frame: None for r in analysis.reps} if pdf else None
        outputs.append(write_annotated_video(video_path, analysis, out / "annotated.mp4", keep=frames))
        frames = {k: v for k, v in (frames or {}).items() if v is not None} if pdf else None
        lap("video")
    if pdf:
        from .pdf import write_pdf
        write_pdf(out / "report.pdf", analysis, report, video_path=video_path, frames=frames)
        outputs.append("report.pdf")
        lap("pdf")
    report["outputs"] = outputs
    # report.json last: its presence marks a complete result
    write_atomic(out / "report.json", json.dumps(report, indent=2))
    return Result(analysis, report, out, timings)


def print_summary(result: Result) -> None:
    print(summary_text(result.report, result.out_dir, color=sys.stdout.isatty()))
