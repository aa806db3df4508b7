"""The marked tests must fail, not skip, under CI=true when their service is missing."""

from pathlib import Path

import pytest

from tests import service_markers

ROOT = Path(__file__).resolve().parents[2]

SAMPLE = """
import pytest

@pytest.mark.{marker}
def test_needs_the_service():
    pass
"""

MISSING = {
    "redis": {"CELERY_BROKER_URL": "redis://127.0.0.1:1/0"},
    "postgres": {"DATABASE_URL": "sqlite:///:memory:"},
}


def run_marked_test(pytester, monkeypatch, marker, ci):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    for name, value in MISSING[marker].items():
        monkeypatch.setenv(name, value)
    if ci:
        monkeypatch.setenv("CI", "true")
    else:
        monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(SAMPLE.format(marker=marker))
    return pytester.runpytest_subprocess(
        "-p", "tests.service_markers", "-p", "no:django", "-p", "no:cacheprovider"
    )


@pytest.mark.parametrize("marker", sorted(MISSING))
def test_missing_service_fails_the_marked_test_under_ci(pytester, monkeypatch, marker):
    result = run_marked_test(pytester, monkeypatch, marker, ci=True)

    result.assert_outcomes(errors=1)  # failed in setup: reported as an error
    result.stdout.fnmatch_lines([f"*[[]{marker}[]] service requis sous CI=true*"])


@pytest.mark.parametrize("marker", sorted(MISSING))
def test_missing_service_skips_the_marked_test_locally(pytester, monkeypatch, marker):
    result = run_marked_test(pytester, monkeypatch, marker, ci=False)

    result.assert_outcomes(skipped=1)


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), ("1", True), ("", False), ("false", False)]
)
def test_ci_detection(monkeypatch, value, expected):
    monkeypatch.setenv("CI", value)
    assert service_markers.running_in_ci() is expected
