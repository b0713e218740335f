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


def _damaged_h264(tmp_path, n=150, p3=False):
    """An H.264 clip of ``n`` distinct frames at 30 fps with two stretches of its bytes overwritten by noise;
    ``p3``: its stream tagged Display P3, as an iPhone's (decoded by ffmpeg)."""
    import subprocess

    import imageio_ffmpeg

    from knee_cv.render import VideoSink

    with VideoSink(tmp_path / "clip.mp4", 30.0, (96, 64), fast=False) as sink:
        yy, xx = np.mgrid[0:64, 0:96]
        for k in range(n):                                         # a moving pattern: every frame differs
            img = np.dstack([(xx * 3 + k * 5) % 256, (yy * 4 + k * 3) % 256, np.full_like(xx, k)])
            sink.write(img.astype(np.uint8))
    clip = sink.path
    if p3:
        clip = tmp_path / "p3.mp4"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(sink.path), "-c", "copy",
                        "-bsf:v", "h264_metadata=colour_primaries=12:transfer_characteristics=13:matrix_coefficients=1",
                        str(clip)], check=True)
    from synth import damage

    bad = tmp_path / "damaged.mp4"
    bad.write_bytes(damage(clip.read_bytes(), (0.35, 0.7), 300, seed=3))
    return bad, n


@pytest.mark.parametrize("p3", [False, True], ids=["opencv", "ffmpeg"])
def test_a_damaged_stretch_mid_file_is_skipped_and_reported_not_taken_for_the_end(tmp_path, p3):
    """Each damaged stretch is reported where frames are missing, with how many: read + lost = the clip's
    frames. Both decoders: OpenCV fails a read and loses frames a few reads later; ffmpeg (an iPhone's P3 clip)
    skips the damage without a failed read, and its damaged stretches used to go unreported (8 frames lost of
    150: "video ends early ... file cut off?")."""
    bad, n = _damaged_h264(tmp_path, p3=p3)
    info = video.probe(bad)
    assert info.backend == ("ffmpeg" if p3 else "opencv")
    gaps: list = []
    frames = list(video.read_frames(bad, info=info, gaps=gaps))
    assert len(frames) >= 0.9 * n                                  # before: reading stopped at the first bad packet
    assert frames[-1].t > 0.9 * (n - 1) / 30.0                     # ... the end of the clip was reached
    assert gaps and all(0 < g.after_s < g.before_s < n / 30.0 for g in gaps)
    ts = [f.t for f in frames]
    assert all(b > a for a, b in zip(ts, ts[1:]))
    assert len(frames) < n and len(frames) + sum(g.frames for g in gaps) == n
    missing = sorted(set(range(n)) - {round(t * 30) for t in ts})  # the frames' times are the container's
    assert all(any(g.after_s < k / 30 < g.before_s for g in gaps) for k in missing), (missing, gaps)
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


# ---- colour-tagged clips: OpenCV 5 converts Display P3 / BT.2020 / HDR colours in software, slowly ----------

P3_HEADER = ("  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuvj420p(pc, smpte170m/smpte432/bt709, "
             "progressive), 1080x1920 [SAR 1:1 DAR 9:16], 11895 kb/s, 30 fps, 30 tbr, 600 tbn (default)")


@pytest.mark.parametrize("header, tags, slow", [
    (P3_HEADER, ("smpte170m", "smpte432", "bt709"), True),                          # iPhone H.264
    ("Video: hevc (Main 10), yuv420p10le(tv, bt2020nc/bt2020/arib-std-b67), 3840x2160", ("bt2020nc", "bt2020",
                                                                                        "arib-std-b67"), True),
    ("Video: h264 (High), yuv420p(tv, bt709/bt709/smpte2084, progressive), 1920x1080", ("bt709", "bt709",
                                                                                       "smpte2084"), True),
    ("Video: h264 (High), yuv420p(tv, bt709, progressive), 1280x720", ("bt709",) * 3, False),  # one name: all three
    ("Video: h264 (High), yuv420p(tv, bt470bg/bt470bg/smpte170m), 640x480", ("bt470bg", "bt470bg", "smpte170m"),
     False),
    ("Video: h264 (Constrained Baseline), yuv420p(progressive), 1280x720", ("unknown",) * 3, False),  # untagged
    ("Video: mjpeg (Baseline), yuvj420p(pc, bt470bg/unknown/unknown), 64x48", ("bt470bg", "unknown", "unknown"),
     False),
    ("Input #0, png_pipe: no video line at all", ("unknown",) * 3, False),
])
def test_colour_tags_are_read_from_ffmpegs_stream_line(header, tags, slow):
    from knee_cv.decoders import ColourTags, parse_colour_tags

    got = parse_colour_tags(header)
    assert got == ColourTags(*tags)
    assert got.slow_in_opencv is slow


def _tagged_clip(tmp_path, primaries: int, name: str, transfer: int = 1, seconds: int = 1):
    """A 320x240 H.264 clip of ``seconds`` at 30 frames/s, a keyframe each second, with uneven frame times (a
    0.2 s pause after frame 9, as a phone's variable rate has) whose stream says it is in the colour primaries
    ``primaries`` (1 BT.709, 12 Display P3), with the transfer characteristics ``transfer`` (1 BT.709, 9
    logarithmic 100:1)."""
    import subprocess

    import imageio_ffmpeg

    out = tmp_path / name
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size=320x240:rate=30:duration={seconds}", "-vf", "setpts=N/30/TB+gte(N\\,10)*0.2/TB",
                    "-fps_mode", "vfr", "-c:v", "libx264", "-g", "30", "-pix_fmt", "yuv420p", "-bsf:v",
                    f"h264_metadata=colour_primaries={primaries}:transfer_characteristics={transfer}:matrix_coefficients=1",
                    str(out)], check=True)
    return out


def test_a_display_p3_clip_is_decoded_by_ffmpeg_with_the_containers_frame_times(tmp_path):
    """A P3-tagged clip is decoded by ffmpeg (OpenCV 5 would convert its colours at ~13 frames/s on a phone's
    1080x1920), with the container's frame times: the same times, frame for frame, as OpenCV reads, the 0.2 s
    pause included (not index / fps), and the same pictures as the clip tagged BT.709."""
    p3, srgb = _tagged_clip(tmp_path, 12, "p3.mp4"), _tagged_clip(tmp_path, 1, "bt709.mp4")
    info, plain = video.probe(p3), video.probe(srgb)
    assert (info.backend, plain.backend) == ("ffmpeg", "opencv")
    frames, ref = list(video.read_frames(p3, info=info)), list(video.read_frames(srgb, info=plain))
    cap, clock = cv2.VideoCapture(str(p3), cv2.CAP_FFMPEG), []
    while cap.grab():
        clock.append(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
    cap.release()
    assert len(frames) == len(ref) == len(clock) == 30
    assert [f.t for f in frames] == pytest.approx(clock, abs=1e-9)
    assert frames[10].t - frames[9].t == pytest.approx(0.2 + 1 / 30, abs=2e-3)   # the pause, not index / fps
    for a, b in zip(frames, ref):
        assert np.abs(a.image.astype(int) - b.image.astype(int)).mean() < 1.0, a.index
    got = dict(video.iter_frames_at(p3, [3, 20], backend=info.backend))    # the pictures' decoder agrees
    assert all(np.array_equal(got[k], frames[k].image) for k in (3, 20))


def test_the_ffmpeg_reader_seeks_by_the_frame_times_of_an_earlier_pass(tmp_path, monkeypatch):
    """Given every frame's time (a track's), the ffmpeg reader starts ffmpeg again just before a far frame, forward
    and back, instead of decoding every frame up to it (a phone clip's annotated-video parts and PDF pictures were
    read so, each from the start), with the same pictures and times as a decode from the start. Times that place
    no frame are not trusted: it walks, and the pictures are still the right ones."""
    from knee_cv import decoders

    p3 = _tagged_clip(tmp_path, 12, "p3.mp4", seconds=6)
    info = video.probe(p3)
    assert info.backend == "ffmpeg"
    frames = list(video.read_frames(p3, info=info))
    times = np.array([f.t for f in frames])
    assert len(frames) == 180 and times[10] - times[9] == pytest.approx(0.2 + 1 / 30, abs=2e-3)
    started, stream = [], decoders._Stream
    monkeypatch.setattr(decoders, "_Stream", lambda path, start_s=0.0: started.append(start_s) or stream(path, start_s))
    want = [5, 100, 170]                                  # 95 and 70 frames apart: more than SEEK_FRAMES
    got = dict(video.iter_frames_at(p3, want, times=times, backend=info.backend))
    assert all(np.array_equal(got[k], frames[k].image) for k in want)
    assert started == [0.0, *(pytest.approx(times[k] - 1 / 120, abs=1e-3) for k in want[1:])]  # seeks, not walks

    cap = decoders.FfmpegCapture(p3, times=times)
    for _ in range(120):
        cap.grab()
    cap.set(cv2.CAP_PROP_POS_FRAMES, 30)                  # back
    ok, img = cap.read()
    assert ok and np.array_equal(img, frames[30].image)
    assert cap.get(cv2.CAP_PROP_POS_MSEC) / 1000 == pytest.approx(times[30], abs=1e-9)
    cap.release()

    started.clear()
    off = times + 0.4 / 30                                # between frames: no frame has these times
    got = dict(video.iter_frames_at(p3, want, times=off, backend=info.backend))
    assert len(started) == 3 and all(np.array_equal(got[k], frames[k].image) for k in want)


def test_a_transfer_neither_opencv_nor_ffmpeg_converts_is_decoded_with_its_matrix_alone(tmp_path):
    """A logarithmic (100:1) transfer tag: OpenCV 5 and ffmpeg 9 both refuse to convert it to BGR (not one frame);
    knee-cv's ffmpeg reads it as BT.709, the pictures as those of the clip tagged BT.709."""
    odd, srgb = _tagged_clip(tmp_path, 1, "log.mp4", transfer=9), _tagged_clip(tmp_path, 1, "bt709.mp4")
    info = video.probe(odd)
    assert info.backend == "ffmpeg"
    frames, ref = list(video.read_frames(odd, info=info)), list(video.read_frames(srgb))
    assert len(frames) == len(ref) == 30
    assert [f.t for f in frames] == pytest.approx([f.t for f in ref], abs=1e-9)  # the container's: with the pause
    assert frames[10].t - frames[9].t == pytest.approx(0.2 + 1 / 30, abs=2e-3)
    assert all(np.abs(a.image.astype(int) - b.image.astype(int)).mean() < 1.0 for a, b in zip(frames, ref))


def test_ffmpeg_that_decodes_nothing_is_a_one_line_input_error(tmp_path):
    from knee_cv.decoders import FfmpegCapture

    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    with pytest.raises(InputError, match=r"junk\.mp4: not a readable video \(.+\)$") as err:
        FfmpegCapture(junk)
    assert "\n" not in str(err.value)


def test_the_p3_phone_clips_take_the_fast_decoder():
    from conftest import clip

    for name in ("overhead_squat_front_mild_valgus_right.mov", "overhead_squat_front_slight_varus.mov"):
        info = video.probe(clip(name))
        assert (info.backend, info.width, info.height) == ("ffmpeg", 1080, 1920), name


def test_an_iphone_hdr_clip_hevc_10_bit_hlg_stored_sideways_comes_out_upright_and_timed(tmp_path):
    """An iPhone's HDR video: HEVC Main 10, BT.2020 HLG, stored landscape with a 90-degree rotation tag. Its
    pictures come from ffmpeg, upright like OpenCV's (same size, and the same picture up to the colour
    conversion: correlated over 0.9, where the picture turned or mirrored is not), its times from the container.
    (OpenCV read it at a third of ffmpeg's speed, converting its colours.)"""
    import subprocess

    import imageio_ffmpeg

    ff, land, hdr = imageio_ffmpeg.get_ffmpeg_exe(), tmp_path / "land.mov", tmp_path / "hdr.mov"
    subprocess.run([ff, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=0.5",
                    "-vf", "drawbox=x=0:y=0:w=90:h=120:color=white:t=fill,"  # a white corner: elsewhere if turned
                    "setparams=color_primaries=bt2020:color_trc=arib-std-b67:colorspace=bt2020nc", "-c:v",
                    "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error", "-pix_fmt", "yuv420p10le",
                    "-color_primaries", "bt2020", "-color_trc", "arib-std-b67", "-colorspace", "bt2020nc",
                    "-tag:v", "hvc1", str(land)], check=True)
    subprocess.run([ff, "-v", "error", "-y", "-display_rotation", "90", "-i", str(land), "-c", "copy", str(hdr)],
                   check=True)
    info = video.probe(hdr)
    assert (info.backend, info.width, info.height) == ("ffmpeg", 240, 320)
    frames = list(video.read_frames(hdr, info=info))
    cap = cv2.VideoCapture(str(hdr), cv2.CAP_FFMPEG)
    ref = []
    while (got := cap.read())[0]:
        ref.append((cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0, got[1]))
    cap.release()
    assert len(frames) == len(ref) == 15
    assert [f.t for f in frames] == pytest.approx([t for t, _ in ref], abs=1e-9)
    for f, (_, img) in zip(frames, ref):
        assert f.image.shape == img.shape == (320, 240, 3)
        a, b = f.image.sum(-1).ravel(), img.astype(int).sum(-1)
        same, turned, mirrored = (np.corrcoef(a, c.ravel())[0, 1] for c in (b, b[::-1, ::-1], b[:, ::-1]))
        assert same > 0.9 and same > max(turned, mirrored) + 0.5, f.index   # the same picture, the same way up


def test_hdr_code_values_map_to_sdr_with_reference_white_as_white():
    """BT.2408: HDR reference white (203 cd/m2; 75 % of the HLG signal, about 58 % of PQ's) becomes SDR white,
    black stays black, brighter stays brighter; SDR transfers are left alone."""
    from knee_cv.decoders import sdr_table

    hlg, pq = sdr_table("arib-std-b67"), sdr_table("smpte2084")
    assert all(sdr_table(t) is None for t in ("bt709", "iec61966-2-1", "smpte170m", "unknown"))
    for table in (hlg, pq):
        assert table.dtype == np.uint8 and table.shape == (256,) and table[0] == 0
        assert np.all(np.diff(table.astype(int)) >= 0)
    assert hlg[191] >= 240 and hlg[128] > 128          # HLG's white at code 191: shown as is, a third too dim
    assert pq[148] >= 240 and pq[100] > 100            # PQ's at code 148
    assert hlg[255] == pq[255] == 255


@pytest.mark.parametrize("transfer", ["arib-std-b67", "smpte2084"])
def test_an_hdr_clip_is_shown_as_bright_as_its_sdr_original(tmp_path, transfer):
    """An SDR clip converted to HLG or PQ (its white at HDR reference white) decodes to the SDR original's grey
    levels, within a few; shown untouched, the PQ copy read a third darker. (Grey: the table works per channel,
    so saturated colours come out paler, as in the BT.2020 gamut; a real squat clip's HLG and PQ copies read
    within 1.3 grey levels of its mean and 4-5 per channel.)"""
    import subprocess

    import imageio_ffmpeg

    ff, sdr, hdr = imageio_ffmpeg.get_ffmpeg_exe(), tmp_path / "sdr.mp4", tmp_path / "hdr.mov"
    subprocess.run([ff, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=0.3",
                    "-vf", "hue=s=0,setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv",
                    "-c:v", "libx264", "-crf", "12", "-pix_fmt", "yuv420p", str(sdr)], check=True)
    subprocess.run([ff, "-v", "error", "-y", "-i", str(sdr), "-vf", "zscale=t=linear:npl=203,format=gbrpf32le,"
                    f"zscale=t={transfer}:p=bt2020:m=bt2020nc:npl=203,format=yuv420p10le", "-c:v", "libx265",
                    "-preset", "ultrafast", "-crf", "12", "-x265-params", "log-level=error", "-color_primaries",
                    "bt2020", "-color_trc", transfer, "-colorspace", "bt2020nc", "-tag:v", "hvc1", str(hdr)],
                   check=True)
    info = video.probe(hdr)
    assert info.backend == "ffmpeg"
    got, ref = next(iter(video.read_frames(hdr, info=info))).image, next(iter(video.read_frames(sdr))).image
    grey = lambda im: cv2.cvtColor(im, cv2.COLOR_BGR2GRAY).astype(float)  # noqa: E731
    assert abs(grey(got).mean() - grey(ref).mean()) < 6, (grey(got).mean(), grey(ref).mean())
    assert np.corrcoef(grey(got).ravel(), grey(ref).ravel())[0, 1] > 0.97
