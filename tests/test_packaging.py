"""The project's own metadata installs without setuptools' deprecation warnings (a
licence written as a TOML table warns on every `make` install since setuptools 77)."""

import re
import tomllib
from pathlib import Path

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())


def test_the_licence_is_an_spdx_expression():
    assert isinstance(PYPROJECT["project"]["license"], str)
    assert re.fullmatch(r"[A-Za-z0-9.\-+ ()]+", PYPROJECT["project"]["license"])


def test_the_build_needs_a_setuptools_that_reads_spdx_licences():
    (requirement,) = [r for r in PYPROJECT["build-system"]["requires"] if "setuptools" in r]
    minimum = re.search(r">=\s*(\d+)", requirement)
    assert minimum
    assert int(minimum.group(1)) >= 77
