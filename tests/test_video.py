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


def _damaged_h264(tmp_path, n=150):
    """An H.264 clip of ``n`` distinct frames with two stretches of its bytes overwritten by noise."""
    from knee_cv.render import VideoSink

    with VideoSink(tmp_path / "clip.mp4", 30.0, (96, 64), fast=False) as sink:
        yy, xx = np.mgrid[0:64, 0:96]
        for k in range(n):                                         # a moving pattern: every frame differs
            img = np.dstack([(xx * 3 + k * 5) % 256, (yy * 4 + k * 3) % 256, np.full_like(xx, k)])
            sink.write(img.astype(np.uint8))
    from synth import damage

    bad = tmp_path / "damaged.mp4"
    bad.write_bytes(damage(sink.path.read_bytes(), (0.35, 0.7), 300, seed=3))
    return bad, n


def test_a_damaged_stretch_mid_file_is_skipped_and_reported_not_taken_for_the_end(tmp_path):
    bad, n = _damaged_h264(tmp_path)
    info = video.probe(bad)
    gaps: list = []
    frames = list(video.read_frames(bad, info=info, gaps=gaps))
    assert len(frames) >= 0.9 * n                                  # before: reading stopped at the first bad packet
    assert frames[-1].t > 0.9 * (n - 1) / 30.0                     # ... the end of the clip was reached
    assert gaps and all(0 < g.after_s < g.before_s < n / 30.0 for g in gaps)
    ts = [f.t for f in frames]
    assert all(b > a for a, b in zip(ts, ts[1:]))
    # the pictures' decoder skips the same packets, so frame k is the same picture in both
    want = [0, len(frames) // 2, len(frames) - 1]
    got = dict(video.iter_frames_at(bad, want, backend=info.backend))
    for k in want:
        assert np.array_equal(got[k], frames[k].image), k


def test_a_long_verdict_wraps_on_a_portrait_frame_instead_of_shrinking():
    """The rep line of a rep whose knees were not judged for two reasons names both; on a 360-pixel-wide phone
    clip one line would shrink to about a third of its size, so it wraps to the frame's width at the normal
    size."""
    from knee_cv.render import _wrapped

    text = "Rep 2: No fault seen; not judged: left knee (body turned), right knee (knee hidden)"
    narrow, wide = np.zeros((640, 360, 3), np.uint8), np.zeros((720, 1280, 3), np.uint8)
    assert _wrapped(narrow, text, 6, 24, 0.54, (255, 255, 255), 2, 20) == 24 + 2 * 20
    assert _wrapped(wide, text, 6, 24, 0.54, (255, 255, 255), 2, 20) == 24 + 20
    ink = np.flatnonzero(narrow.any(axis=(1, 2)))
    assert ink.min() < 24 < 44 <= ink.max() < 64     # two lines drawn, the second under the first
    assert narrow[:, 300:].any()                      # each line reaches across the frame at full size
