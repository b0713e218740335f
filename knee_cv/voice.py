"""Spoken cues for live mode: offline text-to-speech that never blocks the frame loop.

pyttsx3 drives the system's speech engine (espeak-ng on Linux, SAPI5 on Windows,
NSSpeechSynthesizer on macOS): offline, no model download, a well-kept package
with a small API, and it can render to a WAV file, which is how the tests hear it.
Speech runs in its own thread; :meth:`Voice.say` only queues the text, and a new
cue replaces one still waiting, so the person hears the current cue, not a backlog.
Without a speech engine or an audio device, live mode goes on silently after one
warning line.
"""
from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class VoiceError(RuntimeError):
    """No speech engine could be started."""


def _audio_problem() -> str | None:
    """Why speech could not be heard here, or None. On Linux the espeak driver plays through ALSA's aplay."""
    import shutil
    import subprocess
    import sys

    if not sys.platform.startswith("linux"):
        return None
    if shutil.which("aplay") is None:
        return "no audio player (aplay, from alsa-utils) to play speech with"
    try:
        cards = subprocess.run(["aplay", "-l"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"aplay does not run ({exc})"
    if cards.returncode != 0 or "card" not in cards.stdout:
        return "no audio device found (aplay -l lists no sound card)"
    return None


def _engine():
    try:
        import pyttsx3
    except ImportError as exc:
        raise VoiceError("pyttsx3 is not installed (pip install pyttsx3; on Linux also apt install espeak-ng)") \
            from exc
    try:
        return pyttsx3.init()
    except (RuntimeError, OSError, ImportError, KeyError, ValueError) as exc:
        raise VoiceError(f"no speech engine ({exc}); on Linux: apt install espeak-ng") from exc


class Voice:
    """Speaks short texts in a background thread.

    Parameters
    ----------
    rate : int
        Words per minute; a little slower than the engines' default carries better across a room.
    to_files : Path, optional
        Speak into numbered WAV files there instead of the speakers (benchmarks and tests: the speech is
        synthesized as for real, only not played).
    """

    def __init__(self, *, rate: int = 165, to_files: Path | None = None) -> None:
        self.rate, self.to_files = rate, to_files
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=1)
        self._ready = threading.Event()
        self.error: str | None = None
        self.spoken: list[str] = []
        self._thread = threading.Thread(target=self._run, name="knee-cv-voice", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if self.to_files is None and (problem := _audio_problem()) is not None:
            self.error = problem
            self._ready.set()
            return
        try:
            engine = _engine()
            engine.setProperty("rate", self.rate)
        except VoiceError as exc:
            self.error = str(exc)
            self._ready.set()
            return
        self._ready.set()
        while (text := self._queue.get()) is not None:
            try:
                if self.to_files is not None:
                    engine.save_to_file(text, str(Path(self.to_files) / f"say_{len(self.spoken):04d}.wav"))
                else:
                    engine.say(text)
                engine.runAndWait()
                self.spoken.append(text)
            except (RuntimeError, OSError) as exc:  # the audio device went away: say so once, then stay quiet
                self.error = f"speech stopped: {exc}"
                log.warning("voice: %s", self.error)
                return

    def ready(self, timeout: float = 5.0) -> bool:
        """Wait for the engine to start; False (with :attr:`error` set) when there is none."""
        self._ready.wait(timeout)
        return self._ready.is_set() and self.error is None

    def say(self, text: str) -> None:
        """Queue ``text``; returns at once. A text still waiting is replaced by this one."""
        if self.error is not None or not text:
            return
        try:
            self._queue.put_nowait(text)
        except queue.Full:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                pass
            try:
                self._queue.put_nowait(text)
            except queue.Full:
                pass

    def close(self, timeout: float = 3.0) -> None:
        """Finish what is being said (up to ``timeout`` s) and stop the thread."""
        if self._thread.is_alive():
            try:
                self._queue.put(None, timeout=timeout)
            except queue.Full:
                return
            self._thread.join(timeout)


def render_to_wav(text: str, path: Path, *, rate: int = 165) -> Path:
    """Speak ``text`` into a WAV file instead of the speakers (tests, and checking a voice set-up)."""
    engine = _engine()
    engine.setProperty("rate", rate)
    engine.save_to_file(text, str(path))
    engine.runAndWait()
    if not Path(path).is_file() or Path(path).stat().st_size <= 44:
        raise VoiceError(f"the speech engine wrote no audio to {path}")
    return Path(path)
