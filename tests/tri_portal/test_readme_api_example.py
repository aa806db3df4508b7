"""The README's API write example runs as written on the fresh demo: its shell block is
read from the README and run by bash (curl) against the live server."""

import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from contracts.models import ProgressReport, ReportStatus
from tri_portal.models import ApiToken

README = Path(__file__).resolve().parents[2] / "README.md"
LOCAL_API = "http://127.0.0.1:8000/api/v1"


def write_example() -> str:
    """The shell block of the README that submits a report through the API."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    (example,) = [block for block in blocks if "/submit/" in block]
    return example


def test_the_readme_write_example_looks_its_ids_up():
    example = write_example()

    assert '"contract": 4' not in example
    assert "reports/12/" not in example
    assert "$REPORT" in example
    assert "$CONTRACT" in example


@pytest.mark.skipif(not shutil.which("curl"), reason="curl is not installed")
def test_the_readme_write_example_submits_last_years_report_of_fourmies(demo_site):
    officer = get_user_model().objects.get(username="referent.fourmies")
    _, key = ApiToken.issue(officer, "README")
    script = "set -euo pipefail\n" + write_example().replace(LOCAL_API, demo_site.url + "/api/v1")

    result = subprocess.run(
        ["bash", "-c", script],
        env={**os.environ, "TOKEN": key},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr + result.stdout
    report = ProgressReport.objects.get(
        contract__territory__code="59249",
        contract__status="active",
        year=timezone.localdate().year - 1,
    )
    assert report.status == ReportStatus.SUBMITTED
    assert report.submitted_by == officer
    assert report.values.get(indicator__identifier="cae_2.a").value == Decimal("205.3")
