"""Shared fixtures. Tests on real clips need ../shared (present in CI) and skip with a reason otherwise."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KNEE_CV_SHARED", ROOT.parent / "shared"))
CLIPS = SHARED / "sample_videos"
SHARED_MODEL = SHARED / "models" / "pose_landmarker_full.task"


#: Fixtures that keep the pose runs on real clips for the whole session (or module): under pytest-xdist the
#: tests using them run in one worker (``--dist loadgroup``), so no clip goes through MediaPipe twice.
SHARED_POSE_RUNS = {"analyzed", "variant"}


def pytest_collection_modifyitems(config, items):
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if SHARED_POSE_RUNS & set(item.fixturenames):
            item.add_marker(pytest.mark.xdist_group("real_clips"))


def clip(name: str) -> Path:
    path = CLIPS / name
    if not path.exists():
        pytest.skip(f"real clip {name} not available: ../shared/sample_videos is absent (it is present in CI)")
    return path


@pytest.fixture(scope="session", autouse=True)
def private_history(tmp_path_factory):
    """Sessions recorded by tests go to a temporary history database, never the user's own."""
    os.environ["KNEE_CV_DB"] = str(tmp_path_factory.mktemp("history") / "history.sqlite3")
    yield


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """A models folder holding the verified full model, from models/ or ../shared."""
    from knee_cv import models

    d = tmp_path_factory.mktemp("models")
    for src in (ROOT / "models" / "pose_landmarker_full.task", SHARED_MODEL):
        if src.exists():
            shutil.copyfile(src, d / src.name)
            break
    else:
        pytest.skip("pose model not available: run `knee-cv models fetch full` or provide ../shared/models")
    assert models.sha256_of(d / "pose_landmarker_full.task") == models.MODELS["full"].sha256
    return d


#: Real clips whose landmarks a batch in this session already estimated (name -> its landmarks.npz): ``analyzed``
#: re-analyzes those (the product's ``--from-landmarks`` path) rather than run the pose model on them again.
ESTIMATED: dict[str, Path] = {}


@pytest.fixture(scope="session")
def analyzed(model_dir, tmp_path_factory):
    """Analyze a real clip once per session: ``analyzed(name, pdf=False, annotate=False) -> Result``."""
    from knee_cv.api import analyze

    cache: dict = {}
    out_root = tmp_path_factory.mktemp("out")

    def run(name: str, *, pdf: bool = False, annotate: bool = False):
        key = (name, pdf, annotate)
        if key not in cache:
            os.environ["KNEE_CV_MODELS"] = str(model_dir)
            marks = None if pdf or annotate else ESTIMATED.get(name)
            cache[key] = analyze(clip(name), from_landmarks=marks, progress=False, pdf=pdf, annotate=annotate,
                                 out_dir=out_root / f"{Path(name).stem}_{int(pdf)}{int(annotate)}")
        return cache[key]
    return run
