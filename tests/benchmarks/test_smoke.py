"""`python -m benchmarks` at a tiny scale, so the benchmarks cannot rot; no time is asserted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from benchmarks.__main__ import main


def test_every_benchmark_runs_and_reports_its_floor_and_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "latest.json"
    assert main(["--scale", "smoke", "--output", str(output)]) == 0
    table = capsys.readouterr().out
    report = json.loads(output.read_text("utf-8"))
    assert report["scale"] == "smoke" and report["figures"]
    for figure in report["figures"]:
        assert figure["name"] in table
        if figure["unit"].startswith("no PostgreSQL server here") and not os.environ.get("CI"):
            continue  # a machine without PostgreSQL (`.ci/run` installs it): that figure says so, as MISSED
        assert figure["value"] >= 0, f"{figure['name']} was not measured: {figure['unit']}"
        assert figure["floor"] is not None or figure["target"], f"{figure['name']} has neither floor nor target"
