"""Bad input: one-line error, exit code 2, no traceback; a cut-off video is analyzed with a warning."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import clip


def run_cli(*args, env_models=None, cwd=None):
    env = dict(os.environ)
    if env_models:
        env["KNEE_CV_MODELS"] = str(env_models)
    return subprocess.run([sys.executable, "-m", "knee_cv", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def assert_one_line_error(p, needle):
    assert p.returncode == 2, p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.startswith("knee-cv: error")]
    assert len(lines) == 1 and needle in lines[0], p.stderr
    assert "Traceback" not in p.stderr


def test_missing_file(tmp_path, model_dir):
    assert_one_line_error(run_cli("analyze", tmp_path / "nope.mp4", env_models=model_dir), "no such file")


def test_zero_byte_file(tmp_path, model_dir):
    (tmp_path / "empty.mp4").write_bytes(b"")
    assert_one_line_error(run_cli("analyze", tmp_path / "empty.mp4", env_models=model_dir), "empty")


def test_text_file_named_mp4(tmp_path, model_dir):
    (tmp_path / "notes.mp4").write_text("this is not a video\n" * 50)
    assert_one_line_error(run_cli("analyze", tmp_path / "notes.mp4", env_models=model_dir), "video")


def test_cut_before_first_frame(tmp_path, model_dir):
    data = clip("squat_front_valgus_then_good.mp4").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[:2000])
    assert_one_line_error(run_cli("analyze", tmp_path / "cut.mp4", env_models=model_dir), "cut.mp4")


def test_video_without_a_person(tmp_path, model_dir):
    import cv2
    import numpy as np

    path = tmp_path / "wall.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15, (320, 240))
    for k in range(20):
        w.write(np.full((240, 320, 3), 90 + k, np.uint8))
    w.release()
    assert_one_line_error(run_cli("analyze", path, "--no-pdf", "--no-video", env_models=model_dir), "no person")


def test_cut_off_part_way_is_analyzed_with_warning(tmp_path, model_dir):
    src = clip("squat_front_bodyweight_good.mp4")
    # keep the moov atom? mp4 with moov at the end cannot be cut; use a re-muxed copy via ffmpeg with moov first
    import imageio_ffmpeg

    full = tmp_path / "full.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(src), "-c", "copy",
                    "-movflags", "+faststart", str(full)], check=True)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(full.read_bytes()[: int(full.stat().st_size * 0.55)])
    p = run_cli("analyze", cut, "--no-video", "--out", tmp_path / "o", env_models=model_dir)
    assert p.returncode == 0, p.stderr
    rep = json.loads((tmp_path / "o" / "report.json").read_text())
    w = [x["message"] for x in rep["warnings"] if "video ends early" in x["message"]]
    assert w and f"of the {rep['video']['frames']} announced" in w[0]
    assert 0 < rep["video"]["frames_read"] < rep["video"]["frames"]
    assert "video ends early" in p.stdout
    assert len(rep["reps"]) >= 3


def test_models_list_and_wrong_hash(tmp_path, model_dir):
    p = run_cli("models", "list", env_models=model_dir)
    assert p.returncode == 0 and "full   ok" in p.stdout
    bare = run_cli("models", env_models=model_dir)                      # no action: the list, as users expect
    assert bare.returncode == 0 and bare.stdout == p.stdout
    bad = tmp_path / "m"
    bad.mkdir()
    (bad / "pose_landmarker_full.task").write_bytes(b"corrupt")
    p = run_cli("models", "fetch", "full", env_models=bad)
    assert p.returncode == 3 and "sha256" in p.stderr and "Traceback" not in p.stderr
    video = clip("squat_front_single_rep_barbell.mp4")
    p = run_cli("analyze", video, "--model", bad / "pose_landmarker_full.task", "--out", tmp_path / "o",
                env_models=bad)
    assert p.returncode == 3 and "matches none of the official" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "o" / "report.json").exists()


def test_reanalyze_from_landmarks_with_config(analyzed, tmp_path):
    res = analyzed("squat_front_valgus_then_good.mp4")
    cfg = tmp_path / "strict.toml"
    cfg.write_text("[faults.valgus_squat]\nmild = 30.0\nmoderate = 40.0\nsevere = 50.0\n")
    p = run_cli("analyze", "--from-landmarks", res.out_dir / "landmarks.npz", "--config", cfg, "--no-pdf",
                "--out", tmp_path / "re")
    assert p.returncode == 0, p.stderr
    rep = json.loads((tmp_path / "re" / "report.json").read_text())
    assert len(rep["reps"]) == 6
    assert not any(f["code"] == "knee_valgus" for r in rep["reps"] for f in r["faults"])
    assert rep["model"]["sha256"] == res.report["model"]["sha256"]


def test_shared_options_parse_the_same_in_every_command():
    from knee_cv.cli import build_parser

    p = build_parser()
    for argv in (["analyze", "v.mp4"], ["batch", "d", "--out", "o"], ["demo"]):
        a = p.parse_args(argv)
        assert (a.pdf, a.annotate, a.model) == (True, True, "full"), argv
        a = p.parse_args(argv + ["--no-pdf", "--no-video", "--model", "lite"])
        assert (a.pdf, a.annotate, a.model) == (False, False, "lite"), argv
    assert p.parse_args(["live"]).pdf and not p.parse_args(["live", "--no-pdf"]).pdf


def test_unwritable_output_is_one_line_exit_5(tmp_path, capsys):
    from knee_cv.cli import main
    from synth import squat_track

    squat_track(reps=2).save(tmp_path / "lm.npz")
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    assert main(["analyze", "--from-landmarks", str(tmp_path / "lm.npz"), "--out", str(blocker / "out"),
                 "--no-pdf"]) == 5
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot use as output folder" in err[0]


def test_a_full_disk_is_found_before_the_pose_pass(tmp_path, capsys, monkeypatch):
    """Issue 15: the write check used to pass on a full disk (a 0-byte file can still be made), and analyze died
    after the pose pass. Now the folder's free space is checked against what the outputs need, first."""
    import shutil
    from collections import namedtuple

    from knee_cv import api, pipeline
    from knee_cv.cli import main
    from knee_cv.render import VideoSink

    with VideoSink(tmp_path / "v.mp4", 10.0, (64, 48), fast=False) as sink:
        for k in range(5):
            sink.write(np.full((48, 64, 3), 40 * k, np.uint8))
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: Usage(10**9, 10**9 - 2_000_000, 2_000_000))
    monkeypatch.setattr(pipeline, "estimate_track", lambda *a, **k: pytest.fail("pose ran on a full disk"))
    monkeypatch.setattr(api, "estimate_track", lambda *a, **k: pytest.fail("pose ran on a full disk"))
    assert main(["analyze", str(sink.path), "--out", str(tmp_path / "out")]) == 5
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "only 2 MB free" in err[0] and "choose another --out" in err[0]
    need = api.output_bytes(sink.path, annotate=True, pdf=True)
    assert need == api.BASE_OUTPUT_BYTES + sink.path.stat().st_size


def test_a_video_named_with_a_time_of_day_is_analyzed(tmp_path, model_dir):
    """FFmpeg (OpenCV's and the binary) reads ``2026-12-07T10:30.mp4`` as a URL of the protocol ``2026-12-07T10``
    and could not open it: such a name, given relative, analyzed into the default output folder, whose annotated
    video is written and checked through FFmpeg too."""
    import shutil

    import cv2

    name = "2026-12-07T10:30.mp4"
    shutil.copy(clip("squat_front_single_rep_barbell.mp4"), tmp_path / name)
    p = run_cli("analyze", name, "--no-pdf", env_models=model_dir, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    out = tmp_path / "knee_cv_out" / "2026-12-07T10:30"
    rep = json.loads((out / "report.json").read_text())
    assert rep["video"]["frames_read"] == 75 and len(rep["reps"]) == 1
    cap = cv2.VideoCapture(str((out / "annotated.mp4").resolve()))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 75
    cap.release()
