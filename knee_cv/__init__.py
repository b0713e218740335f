"""knee-cv: rep-by-rep knee valgus and hip drop screening from video.

The front door::

    import knee_cv

    result = knee_cv.analyze("squats.mp4", out_dir="out")       # writes report.json, CSVs, PDF, video
    for rep in result.analysis.reps:
        left, right = rep.knee_verdicts                           # knee_cv.Verdict: judged or not, and why
        print(rep.rep.index, left.judged and left.severity, right.reason)

    # a landmark track you already have (numpy arrays in a PoseTrack), no I/O:
    analysis = knee_cv.analyze_track(track, knee_cv.Settings())

    knee_cv.run_batch(["clips/"], out="results")                 # a folder, in parallel, resumable
    knee_cv.run_live(camera=0)                                   # webcam feedback

Results are typed and frozen (:class:`Analysis`, :class:`RepResult`, :class:`Verdict`,
:class:`FaultSummary`, :class:`Recommendation`, :class:`VideoMeta`); only the
serializers in :mod:`knee_cv.report` turn them into JSON and CSV. Nothing here
runs at import time: the heavy modules load when first used.
"""
from __future__ import annotations

import importlib

from .codes import FaultCode, NotJudged, Severity, Side, Verdict, VerdictState, ViewClass
from .errors import ConfigError, InputError, KneeCvError, ModelError, NoPersonError, OutputError
from .settings import Settings, load_settings
from .track import PoseTrack

__version__ = "0.1.0"

#: name -> module it lives in; imported on first use (MediaPipe and matplotlib are slow to import)
_LAZY = {"analyze": "api", "Result": "api", "analyze_track": "analysis", "Analysis": "analysis",
         "run_batch": "batch", "run_live": "live_loop", "RepResult": "faults", "FaultSummary": "faults",
         "Recommendation": "exercises", "VideoMeta": "meta", "ModelMeta": "meta", "Exercise": "reps"}

__all__ = ["analyze", "analyze_track", "run_live", "run_batch", "Settings", "load_settings", "PoseTrack",
           "Result", "Analysis", "RepResult", "FaultSummary", "Recommendation", "VideoMeta", "ModelMeta", "Exercise",
           "Verdict", "VerdictState", "NotJudged", "Severity", "Side", "FaultCode", "ViewClass",
           "KneeCvError", "InputError", "ConfigError", "ModelError", "NoPersonError", "OutputError", "__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'knee_cv' has no attribute {name!r}")
