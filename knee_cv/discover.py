"""Finding the videos of a batch and where each one's results go: by content as well as extension, with one
output folder per video that never moves when a file is added, and who is in each video."""
from __future__ import annotations

import csv
import dataclasses
import glob
import json
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path

from .errors import InputError

log = logging.getLogger(__name__)

#: The batch's own cache folder, at the top of ``--out`` (never searched for videos)
CACHE_DIR = ".knee-cv-cache"
VIDEO_EXTENSIONS = {".mp4", ".mov", ".m4v", ".avi", ".webm", ".mkv", ".mpg", ".mpeg", ".3gp", ".ts", ".wmv", ".flv"}


def sniff_video(path: Path) -> bool:
    """True if the first bytes look like a video container (MP4/MOV/3GP, AVI, Matroska/WebM, MPEG, FLV, ASF)."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return False
    return (head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free")
            or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")
            or head[:4] == b"\x1a\x45\xdf\xa3" or head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")
            or head[:3] == b"FLV" or head[:4] == b"\x30\x26\xb2\x75" or (len(head) > 0 and head[0] == 0x47))


@dataclasses.dataclass(frozen=True)
class Found:
    """A file found under the inputs: ``rel`` is its output path below ``--out``."""

    path: Path
    rel: Path


def _safe_rel(rel: str) -> Path:
    """An output-safe relative path: no absolute roots, no ``..``, no odd characters."""
    parts = [re.sub(r"[^\w.+-]+", "_", p).lstrip(".") or "_" for p in Path(rel).parts
             if p not in ("", ".", "..", "/", "\\") and not Path(p).anchor]
    return Path(*parts) if parts else Path("_")


def discover(inputs: Iterable[str], *, exclude: Path | None = None) -> tuple[list[Found], list[dict]]:
    """Expand folders (recursively) and globs into candidate videos and skipped files.

    A file is a candidate if its content looks like a video or its name has a
    video extension (so a damaged ``.mp4`` is reported as failed, not ignored).
    Every file is either a candidate or skipped with a reason (hidden files too); ``exclude`` (the results
    folder, when it sits inside an input folder) is not searched. Returns ``(candidates, skipped)``; skipped
    entries are ``{"path", "reason"}``.
    """
    skip_dir = exclude.resolve() if exclude is not None else None
    found: dict[Path, Found] = {}
    skipped: list[dict] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            entries = [f for f in sorted(p.rglob("*"))
                       if not (skip_dir is not None and f.resolve().is_relative_to(skip_dir))]
            pairs = [(f, f.relative_to(p)) for f in entries if f.is_file()]
            skipped += [{"path": str(f), "reason": why} for f in entries if (why := _not_a_file(f))]
        else:
            matches = [Path(m) for m in sorted(glob.glob(item, recursive=True))] if glob.has_magic(item) else [p]
            if not matches or not all(m.exists() for m in matches):
                skipped.append({"path": item, "reason": "no such file or folder"})
                continue
            pairs = [(f, Path(f.name)) for f in matches if f.is_file()]
        for f, rel in pairs:
            if CACHE_DIR in f.parts:
                continue
            if any(part.startswith(".") for part in rel.parts):
                skipped.append({"path": str(f), "reason": "hidden file (its name starts with a dot): not analyzed"})
                continue
            if f.suffix.lower() in VIDEO_EXTENSIONS or sniff_video(f):
                found.setdefault(f.resolve(), Found(f, rel))
            else:
                skipped.append({"path": str(f), "reason": "not a video (by content and extension)"})
    return list(found.values()), skipped


def _not_a_file(f: Path) -> str | None:
    """Why a folder entry that is neither a regular file nor a folder searched is not analyzed (None if it is one
    of those): every entry of an input folder is accounted for."""
    if f.is_symlink() and not f.exists():
        return "broken or looping symbolic link"
    if f.is_symlink() and f.is_dir():
        return "symbolic link to a folder: not followed (give the folder itself as an input)"
    if not f.is_file() and not f.is_dir():
        return "not a regular file (a pipe, socket or device)"
    return None


#: Names batch writes at the top of ``--out``: no video's folder may take them.
RESERVED = {"summary.json", "summary.csv", "reps.csv", CACHE_DIR}


def assign_outputs(found: list[Found], out: Path) -> dict[Path, Path]:
    """Map each video to its own folder inside ``out``: ``<relative path>`` without the extension.

    Names are sanitized. Videos whose names differ only in the extension (``a.mp4``, ``a.mov``) get
    ``a_mp4``/``a_mov``, except that a folder already holding one of them keeps it, so adding a file never
    moves an earlier result. Every result is checked to stay inside ``out``.
    """
    out = out.resolve()
    by_stem: dict[Path, list[Found]] = {}
    for f in found:
        rel = _safe_rel(str(f.rel))
        stem = rel.with_name(rel.stem or rel.name)
        if stem.as_posix() in RESERVED:
            stem = stem.with_name(stem.name + "_video")
        by_stem.setdefault(stem, []).append(f)
    result, taken = {}, set()
    for stem, group in by_stem.items():
        owner = _owner(out / stem, group) if len(group) > 1 else group[0]
        for f in group:
            ext = _safe_rel(f.path.suffix.lstrip(".") or "video").name
            target = base = out / (stem if f is owner else stem.with_name(f"{stem.name}_{ext}"))
            k = 1
            while target in taken:  # the same name twice (two inputs mapping to one relative path)
                k += 1
                target = base.with_name(f"{base.name}_{k}")
            taken.add(target)
            if os.path.commonpath([out, target.resolve()]) != str(out):
                raise InputError(f"{f.path}: output path would leave {out}")
            result[f.path] = target
    return result


def _owner(folder: Path, group: list[Found]) -> Found | None:
    """Which of several same-stem videos an existing result folder belongs to (None: no folder yet)."""
    try:
        done = Path(json.loads((folder / "report.json").read_text())["video"]["path"]).resolve()
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return next((f for f in group if f.path.resolve() == done), None)


def read_subjects(path: str | Path | None, inputs: Iterable[str]) -> dict[str, str]:
    """``file -> subject`` from a CSV with ``file`` and ``subject`` columns (``file``: a name or a relative path).

    Without ``path``, a ``subjects.csv`` in any input folder is used if there is one.
    """
    if path is None:
        found = [Path(i) / "subjects.csv" for i in inputs if (Path(i) / "subjects.csv").is_file()]
        if not found:
            return {}
        path = found[0]
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"--subjects {path}: cannot read it ({exc})") from None
    if rows and not {"file", "subject"} <= set(rows[0]):
        raise InputError(f"--subjects {path}: expected the columns file,subject")
    return {r["file"].strip(): r["subject"].strip() for r in rows if r.get("file") and r.get("subject")}


def subject_of(f: Found, names: dict[str, str], default: str | None) -> str | None:
    """The subject of one video: the mapping (by relative path, then name), its folder, or ``default``."""
    for key in (f.rel.as_posix(), f.path.name):
        if key in names:
            return names[key]
    return f.rel.parts[0] if len(f.rel.parts) > 1 else default
