"""Decoding: a failure inside the decoder thread reaches the caller instead of leaving it waiting."""
from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from knee_cv import video
from knee_cv.errors import InputError


def _small_video(path, n=10):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for k in range(n):
        w.write(np.full((48, 64, 3), 20 * k, np.uint8))
    w.release()
    return path


def test_open_failing_in_the_decoder_thread_raises_instead_of_hanging(tmp_path, monkeypatch):
    path = _small_video(tmp_path / "v.avi")
    info = video.probe(path)                      # probes fine
    real_open, calls = video._open, []

    def flaky(p, *_):                               # ... but the thread's own open fails (file gone, codec lost)
        calls.append(p)
        raise InputError(f"{p}: vanished")

    monkeypatch.setattr(video, "_open", flaky)
    outcome = {}

    def consume():
        try:
            outcome["frames"] = list(video.read_frames(path, info=info))
        except InputError as exc:
            outcome["error"] = str(exc)

    th = threading.Thread(target=consume, daemon=True)
    th.start()
    th.join(timeout=10)
    assert not th.is_alive(), "read_frames hung after the decoder thread failed to open the file"
    assert "vanished" in outcome.get("error", "") and calls
    monkeypatch.setattr(video, "_open", real_open)
    assert len(list(video.read_frames(path))) == 10  # and a normal read still yields every frame


def test_error_mid_stream_reaches_the_consumer(tmp_path, monkeypatch):
    path = _small_video(tmp_path / "v.avi")

    class Broken:
        def __init__(self, cap):
            self.cap, self.n = cap, 0

        def read(self):
            self.n += 1
            if self.n == 4:
                raise OSError("device error")
            return self.cap.read()

        def get(self, prop):
            return self.cap.get(prop)

        def release(self):
            self.cap.release()

    real_open = video._open
    monkeypatch.setattr(video, "_open", lambda p, *a: Broken(real_open(p, *a)))
    with pytest.raises(OSError, match="device error"):
        list(video.read_frames(path, info=video.probe(path)))
