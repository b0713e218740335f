"""Writing files so that a crash never leaves a half-written one: one helper for every output."""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError


def ensure_dir(path: str | Path, what: str = "output folder") -> Path:
    """Create ``path`` (and parents) or raise :class:`OutputError` saying why; call before slow work."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".knee-cv-write-test.") as probe:
            probe.write(b"x" * 4096)  # a 0-byte file can be created even on a full disk
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        raise OutputError(f"{path}: cannot use as {what} ({exc.strerror or exc})") from None
    return path


class AtomicFile:
    """A unique temporary path beside ``path``: :meth:`commit` renames it into place, :meth:`discard` removes it.

    For writers that need a file name and decide late what the final name is (a video encoder's fallback).
    """

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp" + path.suffix)
        os.close(fd)
        self.path, self.tmp = path, Path(tmp)

    def commit(self, path: str | Path | None = None) -> Path:
        """Rename the temporary file to ``path`` (default: the path given at creation)."""
        final = Path(path) if path is not None else self.path
        os.chmod(self.tmp, 0o644)
        os.replace(self.tmp, final)
        return final

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed to ``path``, on error removed."""
    f = AtomicFile(path)
    try:
        yield f.tmp
        f.commit()
    finally:
        f.discard()


def write_atomic(path: str | Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)
