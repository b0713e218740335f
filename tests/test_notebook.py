"""The walkthrough notebook is executed, so it cannot rot."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.video
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "demo_walkthrough.ipynb"


def test_walkthrough_notebook_runs(model_dir):
    import nbformat
    from nbclient import NotebookClient

    os.environ["KNEE_CV_MODELS"] = str(model_dir)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
                   ).execute()
    out = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "Truth check: reps 6/6" in out
    assert "default: valgus on reps [2, 4]" in out
    assert "mild from 20 deg: valgus on reps [" in out and "[2, 4]" not in out.split("mild from 20 deg")[1]
