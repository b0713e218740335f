"""The library entry points the CLI calls: one function per command, and the shared output writer."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import importlib
import json
import logging
import sys
import threading
import time
from pathlib import Path

from . import models as model_registry
from .analysis import Analysis, analyze_track
from .camera import leg_length
from .codes import Notice, WarningCode
from .errors import InputError, NoPersonError
from .files import atomic_path, ensure_dir, write_atomic
from .guide import Exposure
from .meta import ModelMeta, Session, VideoMeta, session_date
from .pipeline import FrameCallback, estimate_track
from .others import LOOK_FRAMES, find_others
from .others import sampler as others_sampler
from .present import beside_text, damaged_text, small_person_text, truncated_text
from .pose import MAX_SIDE, PoseEstimator
from .reps import Exercise
from .report import frames_csv, report_json, reps_csv, summary_text, to_dict
from .settings import Settings
from .track import PoseTrack, outside_picture, unseen_outside
from .video import VideoInfo, probe, read_frames
from .zoom import Crop, Sampler, zoom_crop

log = logging.getLogger(__name__)

@dataclasses.dataclass(frozen=True)
class OutputOptions:
    """Which optional outputs to write. ``draw_on`` is the video the pictures are taken from (None: none)."""

    pdf: bool = True
    annotate: bool = True
    draw_on: str | None = None


@dataclasses.dataclass(frozen=True)
class Result:
    """What :func:`analyze` (or a live session) produced.

    ``extra`` holds command-specific report sections (``live``, ``batch``);
    ``timings`` holds wall seconds per stage.
    """

    analysis: Analysis
    video: VideoMeta
    model: ModelMeta
    out_dir: Path
    outputs: tuple[str, ...] = ()
    session: Session = Session()
    analyzed_at: str = ""  # ISO 8601 UTC
    extra: dict = dataclasses.field(default_factory=dict)
    timings: dict[str, float] = dataclasses.field(default_factory=dict)

    @functools.cached_property
    def report(self) -> dict:
        """The report.json document."""
        return to_dict(self)


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


#: Room the outputs take besides the annotated video: report, CSVs, landmarks and the PDF, with a margin.
BASE_OUTPUT_BYTES = 30_000_000


def output_bytes(video: str | Path | None, *, annotate: bool, pdf: bool) -> int:
    """About how much an analysis writes: the annotated video is about as large as the source at most."""
    size = Path(video).stat().st_size if video is not None and annotate and Path(video).is_file() else 0
    return BASE_OUTPUT_BYTES // (1 if pdf else 2) + size


def default_out_dir(video: str | Path, root: str | Path = "knee_cv_out") -> Path:
    return Path(root) / Path(video).stem


def extract_landmarks(path: str | Path, *, model: str = "full", progress: bool = True, info: VideoInfo | None = None,
                      tee: FrameCallback | None = None, crop: Crop | None = None
                      ) -> tuple[PoseTrack, VideoMeta, ModelMeta, list[str]]:
    """Decode ``path`` and run pose estimation on every frame.

    Returns the raw track, what was read of the video, the model used, and warnings
    (for example a video that ends before its announced frame count). With ``progress``,
    filming problems seen in the first 3 s (feet cut off, side view, too dark, someone
    else in view) are printed at once, not after the slow pass. ``info``: the video's :func:`probe`, if done.
    ``tee(frame, xyz, visibility)`` is called after each frame (the annotated video drawn meanwhile). A person
    small in the picture (not found in most frames, or found with short legs) is measured again on a crop around
    them (:func:`_zoom`), with a ``person_small`` warning. Someone else beside the person most of the time is said
    (``other_person``, :func:`knee_cv.others.find_others`). ``crop``: only that part of the picture is looked at
    (the landmarks stay in whole-picture pixels), and neither is done.
    """
    from tqdm import tqdm

    from .guide import PreCheck

    info = info or probe(path)
    exposure = Exposure()
    check = PreCheck(info.fps, exposure=exposure)
    sampler = Sampler(info.frames or int(30 * info.fps))
    beside = others_sampler(info.frames or int(30 * info.fps), keep=0 if crop else LOOK_FRAMES)

    def seen(fr, xyz, vis) -> None:
        bar.update()
        exposure.update(fr.image, xyz)
        sampler.update(fr.image, xyz)
        beside.update(fr.image, xyz)
        if tee is not None:
            tee(fr, xyz, vis)
        if progress and (problems := check.update(fr.image, xyz, vis)):
            bar.write("knee-cv: check the filming (the analysis goes on):\n" + "\n".join(f"  - {p}" for p in problems),
                      file=sys.stderr)

    resolved = model_registry.resolve(model)
    warnings: list[Notice] = []
    with PoseEstimator(resolved) as est, tqdm(total=info.frames or None, unit="frame", desc="pose",
                                              disable=not progress, leave=False, file=sys.stderr) as bar:
        gaps: list = []
        track = estimate_track(read_frames(path, info=info, gaps=gaps), est if crop is None else _Cropped(est, crop),
                               width=info.width, height=info.height, fps=info.fps, on_frame=seen)
    if crop is None and (zoomed := _zoom(path, info, resolved, track, sampler, progress)) is not None:
        track, small, exposure = zoomed
        warnings.append(small)
    elif (others := find_others(beside, resolved, info.width, info.height)) is not None:
        warnings.append(Notice(WarningCode.OTHER_PERSON, beside_text(others)))
    video, notices = _video_notices(info, len(track), gaps, exposure)
    if crop is not None:
        video = dataclasses.replace(video, crop="{}:{}:".format(*crop.size) + f"{crop.x0}:{crop.y0}")
    if not track.detected.any():
        raise NoPersonError(f"{path}: no person found in any of {len(track)} frames, nor in parts of the picture: "
                            "film the whole body, lit, filling most of the picture's height")
    return track, video, ModelMeta(resolved.name, resolved.sha256), warnings + notices


def _video_notices(info: VideoInfo, frames: int, gaps: list, exposure: Exposure) -> tuple[VideoMeta, list[Notice]]:
    """What was read of the video (``frames`` decoded, the damaged stretches ``gaps``) and what to say about
    it: damaged, mistimed, cut short, dark."""
    skipped = sum(g.frames for g in gaps)
    video, out = VideoMeta.from_info(info, frames, frames_skipped=skipped), []
    if gaps:
        out.append(Notice(WarningCode.VIDEO_DAMAGED, damaged_text(gaps, skipped)))
    if not info.clock:
        out.append(Notice(WarningCode.VIDEO_TIMING, "the video announces an impossible frame rate: its frames "
                          "were timed at 30 fps, so times and speeds may be off"))
    if video.truncated:
        out.append(Notice(WarningCode.VIDEO_TRUNCATED, truncated_text(frames, info.frames)))
    if (dark := exposure.notice()) is not None:
        out.append(dark)
    return video, out


class _Cropped:
    """A pose estimator that looks only at ``crop`` of each frame; landmarks in whole-picture pixels, those
    outside the crop not detected (MediaPipe places a joint it cannot see anyway: the crop is the picture)."""

    def __init__(self, est: PoseEstimator, crop: Crop) -> None:
        self.est, self.crop = est, crop

    def process(self, image, t: float):
        xyz, vis = self.est.process(self.crop.apply(image), t)
        xyz, vis = unseen_outside(xyz, vis, outside_picture(xyz[:, :2], *self.crop.size))
        return self.crop.to_frame(xyz), vis


def check_crop(crop: Crop, info: VideoInfo) -> Crop:
    """``crop`` if it lies inside the picture of ``info`` and is at least 32 px each way; else InputError."""
    w, h = crop.size
    if crop.x0 < 0 or crop.y0 < 0 or crop.x1 > info.width or crop.y1 > info.height or min(w, h) < 32:
        raise InputError(f"the crop {w}:{h}:{crop.x0}:{crop.y0} (width:height:left:top) does not fit the "
                         f"{info.width}x{info.height} picture with at least 32 px each way")
    return crop


def _zoom(path, info: VideoInfo, model: model_registry.ResolvedModel, track: PoseTrack, sampler: Sampler,
          progress: bool) -> tuple[PoseTrack, Notice, Exposure] | None:
    """The pose pass again on a crop around a person too small in the picture (:func:`knee_cv.zoom.zoom_crop`).

    Returns the new track (whole-picture pixels), its ``person_small`` warning and the person's
    :class:`~knee_cv.guide.Exposure` on the crop; None when no crop was wanted or found, or the crop found the
    person in fewer frames (or, searched for, in no more).
    """
    from tqdm import tqdm

    if (zoom := zoom_crop(track, sampler, model, max_side=MAX_SIDE)) is None:
        return None
    (crop, searched), exposure = zoom, Exposure()
    w, h = crop.size
    with PoseEstimator(model) as est, tqdm(total=len(track), unit="frame", desc="pose, zoomed in",
                                           disable=not progress, leave=False, file=sys.stderr) as bar:
        frames = (dataclasses.replace(fr, image=crop.apply(fr.image)) for fr in read_frames(path, info=info))
        near = estimate_track(frames, est, width=w, height=h, fps=info.fps,
                              on_frame=lambda fr, xyz, vis: (bar.update(), exposure.update(fr.image, xyz)))
    if near.detected.sum() < track.detected.sum() + searched or len(near) != len(track):
        return None
    zoomed = track.replace(xyz=crop.to_frame(near.xyz), visibility=near.visibility, t=near.t)
    leg = leg_length(zoomed)
    text = small_person_text(float(track.detected.mean()), float(near.detected.mean()),
                             leg / max(info.width, info.height), leg, searched=searched)
    return zoomed, Notice(WarningCode.PERSON_SMALL, text), exposure


def load_landmarks(path: str | Path, video: str | Path | None = None) -> tuple[PoseTrack, VideoMeta, ModelMeta,
                                                                               list[str]]:
    """A saved landmarks.npz with what it says about its video and model (as :func:`extract_landmarks`)."""
    raw, meta = PoseTrack.load(path)
    try:
        announced = int(meta.get("frames_announced", len(raw)))
        warnings = json.loads(meta.get("warnings", "[]"))
    except ValueError:
        raise InputError(f"{path}: damaged metadata in the landmark file (frames_announced, warnings)") from None
    if announced < 0 or not isinstance(warnings, list):
        raise InputError(f"{path}: damaged metadata in the landmark file (frames_announced, warnings)")
    warnings = [_notice(w, path) for w in warnings]
    vmeta = VideoMeta.from_track(raw, str(video) if video is not None else meta.get("video_path", str(path)),
                                 announced=announced)
    return raw, vmeta, ModelMeta(meta.get("model_name", "unknown"), meta.get("model_sha256", "")), warnings


def _notice(w, path) -> Notice:
    """A warning as a landmark file stores it: ``{"code", "text"}``, or a plain string (files before schema 3)."""
    if isinstance(w, str):
        return Notice(WarningCode.OTHER, w)
    try:
        return Notice(WarningCode(w["code"]), str(w["text"]))
    except (TypeError, KeyError, ValueError):
        raise InputError(f"{path}: damaged metadata in the landmark file (warnings)") from None


def analyze(video: str | Path | None = None, *, from_landmarks: str | Path | None = None, model: str = "full",
            settings: Settings = Settings(), out_dir: str | Path | None = None, progress: bool = True,
            pdf: bool = True, annotate: bool = True, source_sha256: str | None = None,
            extra: dict | None = None, exercise: Exercise | None = None, session: Session = Session(),
            crop: Crop | None = None) -> Result:
    """Analyze a video (or a saved landmark file) and write every output.

    Outputs in ``out_dir``: report.json, reps.csv, frames.csv, landmarks.npz,
    and unless disabled report.pdf and annotated.mp4. With both ``video`` and
    ``from_landmarks``, the landmarks are used (no pose run) and the video only
    feeds the PDF pictures and the annotated video. ``source_sha256`` is
    recorded in ``report.json`` (batch resume), as are the ``extra`` sections.
    ``exercise`` overrides the automatic detection of the movement. ``session`` names the subject, the
    date (default: when the video was recorded) and notes. ``crop``: only that part of the picture is analyzed
    (for example one side of a split-screen comparison; the outputs show the whole picture).
    """
    if video is None and from_landmarks is None:
        raise InputError("give a video file or --from-landmarks FILE")
    if pdf:
        _preload_matplotlib()
    timings: dict[str, float] = {}
    lap = _Laps(timings)
    out = Path(out_dir) if out_dir else Path(from_landmarks).parent if from_landmarks else default_out_dir(video)
    info = probe(video) if from_landmarks is None else None  # a bad input is its own error, before any folder
    crop = check_crop(crop, info) if crop is not None and info is not None else None
    if out_dir is not None or from_landmarks is None:  # before the slow pose pass: writable, with room
        ensure_dir(out, need_bytes=output_bytes(video, annotate=annotate, pdf=pdf))
    if from_landmarks is not None and video is not None:
        probe(video)  # the pictures' source must open: say so now, not after the analysis
    # the annotated video is drawn in a second process while the pose model runs (knee_cv.early)
    drawing = _early_video(video, out / "annotated.mp4", info, settings, exercise, pdf) \
        if from_landmarks is None and annotate else None
    with drawing or contextlib.nullcontext():
        if from_landmarks is not None:
            raw, vmeta, mmeta, warnings = load_landmarks(from_landmarks, video)
        else:
            raw, vmeta, mmeta, warnings = extract_landmarks(video, model=model, progress=progress, info=info,
                                                            tee=drawing.update if drawing else None, crop=crop)
        if source_sha256:
            vmeta = dataclasses.replace(vmeta, sha256=source_sha256)
        lap("landmarks")
        if session.date is None:
            session = dataclasses.replace(session, date=session_date(str(video) if video is not None else vmeta.path))
        saved = from_landmarks is not None and Path(from_landmarks).resolve() == (out / "landmarks.npz").resolve()
        options = OutputOptions(pdf, annotate, str(video) if video is not None else None)
        return finish(raw, video=vmeta, model=mmeta, out=out, settings=settings, options=options, warnings=warnings,
                      extra=extra, landmarks_saved=saved, timings=timings, exercise=exercise, session=session,
                      early=drawing)


def _early_video(video, annotated: Path, info: VideoInfo, settings: Settings, exercise, pdf: bool):
    """The annotated video drawn during the pose pass (:mod:`knee_cv.early`); None if it cannot start."""
    from .early import MAX_PIXELS, EarlyVideo

    if info.width * info.height > MAX_PIXELS:
        return None
    try:
        return EarlyVideo(video, annotated, info=info, settings=settings, exercise=exercise, pdf=pdf)
    except OSError as exc:  # no interpreter to start, no temporary folder: the video is written after the analysis
        log.warning("the annotated video will be written after the analysis (%s)", exc)
        return None


def finish(raw: PoseTrack, *, video: VideoMeta, model: ModelMeta, out: Path, settings: Settings,
           options: OutputOptions, warnings: list[Notice] = (), extra: dict | None = None,
           landmarks_saved: bool = False, timings: dict | None = None, exercise: Exercise | None = None,
           session: Session = Session(), early=None) -> Result:
    """Analyze a raw track and write every output into ``out``; shared by ``analyze`` and live mode.

    ``exercise`` is the movement when the user set it (otherwise it is detected). ``early``: the
    :class:`knee_cv.early.EarlyVideo` that drew the annotated video during the pose pass, if any.
    """
    timings = {} if timings is None else timings
    lap = _Laps(timings)
    analysis = analyze_track(raw, settings, exercise=exercise)
    analysis = dataclasses.replace(analysis, warnings=tuple(warnings) + analysis.warnings)
    stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    result = Result(analysis, video, model, out, extra=dict(extra or {}), timings=timings, session=session,
                    analyzed_at=stamp)
    ensure_dir(out)
    if not landmarks_saved:
        with atomic_path(out / "landmarks.npz") as tmp:
            raw.save(tmp, video_path=video.path, model_name=model.name, model_sha256=model.sha256,
                     warnings=json.dumps([{"code": w.code.value, "text": str(w)} for w in warnings]),
                     frames_announced=str(video.frames))
    write_atomic(out / "reps.csv", reps_csv(result.report))
    write_atomic(out / "frames.csv", frames_csv(analysis))
    lap("analysis")
    outputs = ("report.json", "reps.csv", "frames.csv", "landmarks.npz") + _write_media(result, options, lap, early)
    result = dataclasses.replace(result, outputs=outputs)
    write_atomic(out / "report.json", report_json(result))  # last: its presence marks a complete result
    return result


def _write_media(result: Result, options: OutputOptions, lap: _Laps, early=None) -> tuple[str, ...]:
    """The annotated video and the PDF, from one decode of the source video (or from ``early``'s)."""
    from .outputs import FramePass
    from .pdf import PageShare, write_pdf
    from .present import OverlayModel

    a, out = result.analysis, result.out_dir
    annotate = options.annotate and options.draw_on is not None
    if not (options.pdf or annotate):
        return ()
    frames, overlays = None, OverlayModel.from_analysis(a)
    keep = [r.worst_frame for r in a.reps] if options.pdf else []
    share = None
    if early is not None and annotate:
        # with 4 reps or more the worker draws the later rep pages and the plan while this process draws the rest
        start = (len(a.reps) + 3) // 2 if options.pdf and len(a.reps) >= 4 else None
        frames = early.finish(a, overlays, keep, pages_from=start)
        share = PageShare(start, early.pages) if start is not None else None
    elif options.draw_on is not None and (annotate or a.reps):
        frames = FramePass(options.draw_on, xy=a.track.xy, overlays=overlays, times=a.track.t,
                           keep=keep, annotated=out / "annotated.mp4" if annotate else None, fps=result.video.fps,
                           size=(result.video.width, result.video.height))
    written: list[str] = []
    if options.pdf:
        write_pdf(out / "report.pdf", result, frames=frames, overlays=overlays, share=share)
        written.append("report.pdf")
        lap("pdf")
    if frames is not None and (name := frames.join()):
        written.insert(0, name)
        lap("video")
    return tuple(written)


def print_summary(result: Result) -> None:
    print(summary_text(result, color=sys.stdout.isatty()))
