"""Writing files so that a crash never leaves a half-written one: one helper for every output."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError


def media_path(path: str | Path) -> str:
    """``path`` as FFmpeg (OpenCV's and the ffmpeg binary) must be given it: absolute. FFmpeg reads a name like
    ``2026-12-07T10:30.mp4`` as a URL of the protocol ``2026-12-07T10`` (letters, digits and ``+-.`` before a
    colon) and cannot open it; an absolute path starts with ``/`` and never reads as one."""
    return os.path.abspath(path)


def ensure_dir(path: str | Path, what: str = "output folder", *, need_bytes: int = 0) -> Path:
    """Create ``path`` (and parents), write to it, and check it has ``need_bytes`` free, or raise
    :class:`OutputError` saying why; call before slow work, so a full disk is found before the pose pass."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".knee-cv-write-test.") as probe:
            probe.write(b"x" * 4096)  # a 0-byte file can be created even on a full disk
            probe.flush()
            os.fsync(probe.fileno())
        free = shutil.disk_usage(path).free
    except OSError as exc:
        raise OutputError(f"{path}: cannot use as {what} ({exc.strerror or exc})") from None
    if free < need_bytes:
        raise OutputError(f"{path}: only {free / 1e6:.0f} MB free, and the outputs need about "
                          f"{need_bytes / 1e6:.0f} MB; free some space or choose another --out")
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


@contextlib.contextmanager
def exclusive_lock(path: str | Path, what: str) -> Iterator[None]:
    """Hold an advisory lock on ``path`` (created if needed) for the block; a second holder is refused at once
    with an :class:`~knee_cv.errors.InputError` naming ``what`` and the holder's process id."""
    from .errors import InputError

    try:
        import fcntl
    except ImportError:  # not POSIX: no advisory locks; the unique temporary names still keep files apart
        yield
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise InputError(f"{what} is in use by another knee-cv run (process {holder}); wait for it to finish "
                             "or choose another folder") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Treat SIGTERM and SIGHUP like Ctrl+C (KeyboardInterrupt) for the block, so a stop keeps what is done.

    Only the main thread can set handlers; elsewhere this does nothing.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise KeyboardInterrupt(f"stopped by signal {signum}")

    old = {s: signal.signal(s, stop) for s in (getattr(signal, n, None) for n in ("SIGTERM", "SIGHUP")) if s}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)

