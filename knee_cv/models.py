"""Pose model bundles: where they come from, where they live, and their checksums.

A model file is used only if its sha256 matches the registry below, or, for a
user-supplied path, after its hash is logged. Nothing here runs at import.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from .errors import ModelError
from .files import atomic_path

log = logging.getLogger(__name__)

_GOOGLE = "https://storage.googleapis.com/mediapipe-models/pose_landmarker/pose_landmarker_{v}/float16/1/pose_landmarker_{v}.task"


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """One official MediaPipe Pose Landmarker bundle (Apache-2.0)."""

    name: str
    sha256: str
    size: int | None = None

    @property
    def filename(self) -> str:
        return f"pose_landmarker_{self.name}.task"

    @property
    def url(self) -> str:
        return _GOOGLE.format(v=self.name)


MODELS: dict[str, ModelSpec] = {
    "lite": ModelSpec("lite", "59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a"),
    "full": ModelSpec("full", "5134a3aad27a58b93da0088d431f366da362b44e3ccfbe3462b3827a839011b1", 9_398_198),
    "heavy": ModelSpec("heavy", "64437af838a65d18e5ba7a0d39b465540069bc8aae8308de3e318aad31fcbc7b"),
}


@dataclasses.dataclass(frozen=True)
class ResolvedModel:
    name: str
    path: Path
    sha256: str


def sha256_of(path: Path) -> str:
    """The file's sha256; remembered per process while its size and modification time are unchanged
    (a batch worker verifies the model once, not once per video)."""
    st = Path(path).stat()
    return _sha256(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def models_dir() -> Path:
    """Where models are kept: ``$KNEE_CV_MODELS``, else the project's ``models/``
    (source checkout), else ``~/.cache/knee-cv/models``."""
    env = os.environ.get("KNEE_CV_MODELS")
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parent.parent / "models"
    if repo.is_dir():
        return repo
    return Path.home() / ".cache" / "knee-cv" / "models"


def status() -> list[tuple[ModelSpec, Path, str]]:
    """For each known model: ``(spec, path, state)`` with state ``ok``, ``missing`` or ``BAD HASH``."""
    out = []
    for spec in MODELS.values():
        p = models_dir() / spec.filename
        state = "missing" if not p.exists() else ("ok" if sha256_of(p) == spec.sha256 else "BAD HASH")
        out.append((spec, p, state))
    return out


def install(spec: ModelSpec, source: Path) -> Path:
    """Copy a local model file into :func:`models_dir` after verifying its hash."""
    got = sha256_of(source)
    if got != spec.sha256:
        raise ModelError(f"{source}: sha256 {got[:12]}… does not match the official {spec.name} model; not installed")
    dest = models_dir() / spec.filename
    with atomic_path(dest) as tmp:
        shutil.copyfile(source, tmp)
    return dest


def download(spec: ModelSpec, *, progress: bool = True) -> Path:
    """Download ``spec`` from Google's model storage with a progress bar; verify; install."""
    from tqdm import tqdm

    dest = models_dir() / spec.filename
    try:
        with atomic_path(dest) as tmp:
            with open(tmp, "wb") as out, urllib.request.urlopen(spec.url, timeout=30) as resp:
                total = int(resp.headers.get("Content-Length") or 0) or None
                with tqdm(total=total, unit="B", unit_scale=True, desc=spec.filename, disable=not progress) as bar:
                    while chunk := resp.read(1 << 16):
                        out.write(chunk)
                        bar.update(len(chunk))
            got = sha256_of(tmp)
            if got != spec.sha256:
                raise ModelError(f"downloaded {spec.filename} has sha256 {got[:12]}…, expected {spec.sha256[:12]}…; "
                                 "discarded")
        return dest
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise ModelError(
            f"cannot download the {spec.name} pose model ({exc}). Put {spec.filename} in {dest.parent} "
            f"or run: knee-cv models fetch {spec.name} --from FILE") from None


def resolve(model: str, *, allow_download: bool = True) -> ResolvedModel:
    """Turn ``lite|full|heavy|PATH`` into a verified model file.

    Raises
    ------
    ModelError
        Unknown name, missing file that cannot be downloaded, or a hash mismatch.
    """
    if model in MODELS:
        spec = MODELS[model]
        path = models_dir() / spec.filename
        if not path.exists():
            if not allow_download:
                raise ModelError(f"model '{model}' not found in {path.parent}; run: knee-cv models fetch {model}")
            log.info("model %s not found in %s; downloading", model, path.parent)
            path = download(spec)
        got = sha256_of(path)
        if got != spec.sha256:
            raise ModelError(f"{path}: sha256 {got[:12]}… is not the official {model} model; delete it and run "
                             f"knee-cv models fetch {model}")
        return ResolvedModel(model, path, got)
    path = Path(model).expanduser()
    if not path.is_file():
        raise ModelError(f"model '{model}' is neither lite, full, heavy nor an existing .task file")
    got = sha256_of(path)
    known = {s.sha256: s.name for s in MODELS.values()}
    if got not in known:
        raise ModelError(f"{path}: sha256 {got[:12]}… matches none of the official pose models (lite, full, heavy); "
                         "refusing to use an unverified model")
    return ResolvedModel(known[got], path, got)
