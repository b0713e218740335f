"""The JSON Schema of report.json (``report.schema.json``), for programs that read knee-cv's results."""
from __future__ import annotations

import json
from importlib import resources


def report_schema() -> dict:
    """The report.json schema (JSON Schema 2020-12) as a dict."""
    return json.loads(resources.files(__name__).joinpath("report.schema.json").read_text(encoding="utf-8"))
