"""Hostile cases for batch and live (issue 15): two batches on one --out, signals, odd names and folders."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import CLIPS, clip
from knee_cv.batch import run_batch
from knee_cv.discover import discover
from knee_cv.errors import InputError


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int((p / "stat").read_text().split(")")[-1].split()[1]) == pid:
                    out.append(int(p.name))
            except (OSError, ValueError, IndexError):
                pass
    return out


def test_a_second_batch_on_the_same_out_is_refused_with_the_holders_pid(tmp_path):
    from knee_cv.files import exclusive_lock

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(64))
    with exclusive_lock(tmp_path / "out" / ".knee-cv-cache" / "batch.lock", "--out x"):
        with pytest.raises(InputError, match=f"in use by another knee-cv run \\(process {os.getpid()}\\)"):
            run_batch([str(tmp_path / "in")], out=tmp_path / "out", workers=1, progress=False)
    # released: the next batch runs (the fake clip fails cleanly, it is not a video)
    summary = run_batch([str(tmp_path / "in")], out=tmp_path / "out", workers=1, progress=False)
    assert [Path(f["path"]).name for f in summary["failed"]] == ["a.mp4"]


def test_dot_files_reserved_names_and_the_out_folder_are_accounted_for(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for name in (".hidden.mp4", "..evil.mp4", "summary.json.mp4", "ok.mp4"):
        (d / name).write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(64))
    (d / "results" / "old").mkdir(parents=True)                       # --out inside the input folder
    (d / "results" / "old" / "annotated.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(64))
    found, skipped = discover([str(d)], exclude=d / "results")
    names = sorted(f.path.name for f in found)
    assert names == ["summary.json.mp4", "ok.mp4"][::-1] or names == ["ok.mp4", "summary.json.mp4"]
    reasons = {Path(s["path"]).name: s["reason"] for s in skipped}
    assert reasons[".hidden.mp4"].startswith("hidden file") and reasons["..evil.mp4"].startswith("hidden file")
    assert "annotated.mp4" not in reasons                              # the results folder is not input
    with pytest.raises(InputError, match="no such file or folder"):
        run_batch([str(tmp_path / "typo")], out=tmp_path / "out", progress=False)


def test_pipes_links_loops_and_a_video_named_summary_json_are_each_accounted_for(tmp_path):
    """Every entry of an input folder is a candidate or skipped with a reason: FIFOs, symlink loops, dangling
    links and links to folders used to appear nowhere."""
    d = tmp_path / "in"
    d.mkdir()
    video = b"\x00\x00\x00\x18ftypmp42" + bytes(64)
    (d / "summary.json").write_bytes(video)                          # a video under a name batch writes itself
    (d / "ok.mp4").write_bytes(video)
    os.mkfifo(d / "pipe.mp4")
    (d / "loop").symlink_to(d / "loop")
    (d / "dangling.mp4").symlink_to(d / "gone.mp4")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.mp4").write_bytes(video)
    (d / "linked").symlink_to(tmp_path / "elsewhere")
    found, skipped = discover([str(d)])
    reasons = {Path(s["path"]).name: s["reason"] for s in skipped}
    assert sorted(f.rel.as_posix() for f in found) == ["ok.mp4", "summary.json"]
    assert reasons == {"pipe.mp4": "not a regular file (a pipe, socket or device)",
                       "loop": "broken or looping symbolic link", "dangling.mp4": "broken or looping symbolic link",
                       "linked": "symbolic link to a folder: not followed (give the folder itself as an input)"}
    from knee_cv.discover import assign_outputs
    outs = assign_outputs(found, tmp_path / "out")
    assert all(o.name not in ("summary.json", "summary.csv", "reps.csv") for o in outs.values())


@pytest.mark.video
def test_sigterm_stops_a_batch_cleanly_with_its_workers_and_a_summary(tmp_path, model_dir):
    d = tmp_path / "in"
    d.mkdir()
    for name in ("squat_front_valgus_then_good.mp4", "squat_front_bodyweight_good.mp4",
                 "squat_front_people_on_tv_background.mp4"):
        (d / name).symlink_to(clip(name))
    env = dict(os.environ, KNEE_CV_MODELS=str(model_dir))
    proc = subprocess.Popen([sys.executable, "-m", "knee_cv", "batch", str(d), "--out", str(tmp_path / "out"),
                             "--workers", "2", "-q", "--no-pdf", "--no-video"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(_children(proc.pid)) < 2:
        time.sleep(0.2)
    workers = _children(proc.pid)
    time.sleep(3)                                                       # the workers are busy with pose
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-500:]
    assert "Traceback" not in err and "interrupted" in err
    time.sleep(1)
    alive = [p for p in workers if Path(f"/proc/{p}").exists()
             and "Z" not in (Path(f"/proc/{p}") / "stat").read_text().split(")")[-1].split()[:1]]
    assert not alive, alive                                             # no orphaned workers
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["counts"]["candidates"] == 3
    # a rerun finishes the job; the first batch's lock was released
    from knee_cv.batch import run_batch as again
    os.environ["KNEE_CV_MODELS"] = str(model_dir)
    done = again([str(d)], out=tmp_path / "out", workers=1, pdf=False, annotate=False, progress=False)
    assert sorted(v["status"] for v in done["videos"]) != [] and not done["failed"]


@pytest.mark.video
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_live_saves_the_session_on_sigterm_and_sighup(tmp_path, model_dir, sig):
    env = dict(os.environ, KNEE_CV_MODELS=str(model_dir))
    proc = subprocess.Popen([sys.executable, "-m", "knee_cv", "-v", "live", "--source",
                             str(clip("squat_front_valgus_then_good.mp4")), "--headless", "--out",
                             str(tmp_path / "live"), "--no-pdf"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    # the clip is replayed in real time (18.3 s): stop it 5 s after its first frame, however slow the start
    for line in iter(proc.stderr.readline, ""):
        if "first frame in" in line:
            break
    else:
        pytest.fail(f"live ended before its first frame (exit {proc.wait()})")
    time.sleep(5)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-800:]
    assert re.search(r"Live: \d+ frames at [\d.]+ fps, \d+ dropped, latency median [\d.]+ ms", out), out[-500:]
    rep = json.loads((tmp_path / "live" / "report.json").read_text())
    assert rep["live"]["stats"]["frames_processed"] > 60 and 4 < rep["video"]["duration_s"] < 12
    assert np.isfinite(rep["live"]["stats"]["fps"]) and CLIPS.exists()


def test_empty_out_and_dash_names_say_what_to_do(tmp_path, capsys, monkeypatch):
    from knee_cv.cli import main

    assert main(["analyze", "x.mp4", "--out", ""]) == 2
    assert "--out is empty" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-clip.mp4").write_bytes(b"\x00" * 10)
    monkeypatch.setattr(sys, "argv", ["knee-cv", "analyze", "-clip.mp4"])
    with pytest.raises(SystemExit) as ex:
        main(["analyze", "-clip.mp4"])
    assert ex.value.code == 2
    assert "needs '--' before it: knee-cv analyze -- -clip.mp4" in capsys.readouterr().err


def test_an_impossible_frame_rate_times_frames_at_30_fps(tmp_path):
    import imageio_ffmpeg

    from knee_cv.video import probe, read_frames

    clip_ = tmp_path / "fast.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=size=64x64:rate=2000", "-frames:v", "30", "-pix_fmt", "yuv420p", str(clip_)], check=True)
    info = probe(clip_)
    assert not info.clock and info.fps == 30.0
    t = np.array([f.t for f in read_frames(clip_, info=info)])
    assert len(t) == 30 and np.allclose(np.diff(t), 1 / 30)           # not 0.5 ms apart


@pytest.mark.video
def test_an_encoder_stopped_by_a_file_size_limit_is_exit_5_and_keeps_finished_files(tmp_path, analyzed):
    import resource

    res = analyzed("squat_front_valgus_then_good.mp4")
    def limit():  # noqa: E306 - runs in the child before exec
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # writes past the limit fail (EFBIG) instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_500_000, 1_500_000))
    proc = subprocess.run([sys.executable, "-m", "knee_cv", "analyze", str(clip("squat_front_valgus_then_good.mp4")),
                           "--from-landmarks", str(res.out_dir / "landmarks.npz"), "--out", str(tmp_path / "o"),
                           "--no-pdf"], capture_output=True, text=True, preexec_fn=limit, timeout=300)
    err = [ln for ln in proc.stderr.splitlines() if ln.startswith("knee-cv")]
    assert proc.returncode == 5, proc.stderr[-1500:]
    assert len(err) == 1 and "Traceback" not in proc.stderr, proc.stderr[-1500:]
    assert not (tmp_path / "o" / "annotated.mp4").exists()             # no complete-looking broken video
    assert (tmp_path / "o" / "reps.csv").stat().st_size > 0             # what was finished is kept
    assert not [p for p in (tmp_path / "o").iterdir() if p.name.startswith(".")]  # and no temporary files


@pytest.mark.video
def test_a_clip_damaged_mid_file_is_analyzed_through_with_the_bad_time_range_named(tmp_path, model_dir):
    """Issue 15: reading stopped at the first damaged packet (115 of 408 frames, "file cut off?"). Now the
    damaged stretches are skipped, named with their times, and the clip is not called cut off."""
    from synth import damage

    bad = tmp_path / "damaged.mp4"
    bad.write_bytes(damage(clip("squat_front_bodyweight_good.mp4").read_bytes()))
    env = dict(os.environ, KNEE_CV_MODELS=str(model_dir))
    p = subprocess.run([sys.executable, "-m", "knee_cv", "analyze", str(bad), "--out", str(tmp_path / "o"), "-q",
                        "--no-pdf", "--no-video"], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    doc = json.loads((tmp_path / "o" / "report.json").read_text())
    assert doc["video"]["frames_read"] >= 400 and not doc["video"]["truncated"]
    assert doc["video"]["frames_read"] + doc["video"]["frames_skipped"] == doc["video"]["frames"] == 408
    (w,) = [w for w in doc["warnings"] if w["code"] == "video_damaged"]
    assert "could not be decoded and were skipped (between " in w["message"] and " s" in w["message"]
    assert "damaged video" in p.stdout and len(doc["reps"]) == 10


@pytest.mark.video
def test_a_video_turned_sideways_without_its_tag_gets_the_rotation_not_film_from_the_front(tmp_path, model_dir):
    import imageio_ffmpeg

    src = clip("squat_front_bodyweight_good.mp4")
    turned = tmp_path / "turned.mp4"                      # pixels turned 90 degrees clockwise, no rotation tag
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-i", str(src), "-vf", "transpose=1",
                    "-c:v", "libx264", "-preset", "ultrafast", str(turned)], check=True)
    env = dict(os.environ, KNEE_CV_MODELS=str(model_dir))
    p = subprocess.run([sys.executable, "-m", "knee_cv", "analyze", str(turned), "--out", str(tmp_path / "o"),
                        "--no-pdf", "--no-video"], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    doc = json.loads((tmp_path / "o" / "report.json").read_text())
    codes = [w["code"] for w in doc["warnings"]]
    assert "picture_sideways" in codes and "side_view" not in codes and doc["view"] == "unknown"
    assert "rotate it 90 degrees counter-clockwise" in p.stdout and "transpose=2" in p.stderr  # early, and at the end
    assert not any(r[s]["judged"] for r in doc["reps"] for s in ("left", "right", "hip"))


@pytest.mark.video
def test_a_cut_off_clip_replayed_in_live_mode_says_so(tmp_path, model_dir):
    import imageio_ffmpeg

    from knee_cv.live_loop import run_live

    full = tmp_path / "full.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(clip("squat_front_bodyweight_good.mp4")),
                    "-c", "copy", "-movflags", "+faststart", str(full)], check=True)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(full.read_bytes()[: int(full.stat().st_size * 0.55)])
    os.environ["KNEE_CV_MODELS"] = str(model_dir)
    res = run_live(source=cut, out=tmp_path / "live", headless=True, realtime=False, pdf=False)
    (w,) = [w for w in res.analysis.warnings if w.code.value == "video_truncated"]
    from knee_cv.video import probe
    assert "video ends early: only" in w and f"of the {probe(cut).frames} announced frames" in w


def test_a_disk_filling_up_during_a_batch_is_exit_5_with_the_first_summary_kept(tmp_path, capsys, monkeypatch):
    """Issue 15: the main process crashed in write_summary and no summary was written."""
    import errno

    from knee_cv import batch
    from knee_cv.cli import main

    d = tmp_path / "in"
    d.mkdir()
    (d / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(64))   # fails fast in its worker
    real, calls = batch.write_atomic, []

    def filling(path, data):
        calls.append(Path(path).name)
        if len(calls) > 3:                                         # the first summary (3 files) fits, then full
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, data)

    monkeypatch.setattr(batch, "write_atomic", filling)
    assert main(["batch", str(d), "--out", str(tmp_path / "out"), "--workers", "1", "--no-pdf", "--no-video", "-q",
                 "--db", str(tmp_path / "h.sqlite3")]) == 5
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0] and "finished files are kept" in err[0]
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["counts"]["candidates"] == 1
