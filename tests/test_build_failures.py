"""Every build failure is one message and exit 1 (the README's promise), not a traceback: a catalogue rule broken,
a gap direction wrong, or anything unexpected (a geometry library error)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from geo import __main__ as cli, publish
from tests.conftest import code_copy


def test_a_bad_polarity_in_the_catalogue_is_one_message_naming_the_file(tmp_path, mirror):
    code = code_copy(tmp_path / "code")
    catalogue = code / "data" / "indicators.csv"
    text = catalogue.read_text(encoding="utf-8")
    catalogue.write_text(text.replace(",neutral,lsoa21,census2021_population,", ",sideways,lsoa21,census2021_population,", 1),
                         encoding="utf-8")
    database = tmp_path / "kent.duckdb"
    result = subprocess.run([sys.executable, "-m", "geo", "build", "--data-dir", str(mirror), "--database", str(database),
                             "--embed-dir", str(tmp_path / "embed")], cwd=code, capture_output=True, text=True, timeout=900)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    failure = [line for line in result.stderr.splitlines() if line.startswith("build failed")]
    assert len(failure) == 1, result.stderr
    assert "indicators.csv" in failure[0] and "'population'" in failure[0] and "'sideways'" in failure[0]
    assert not database.exists()


@pytest.mark.parametrize("error", [ValueError("simplifying 10 arcs returned 9"), RuntimeError("GEOS: TopologyException")])
def test_an_unexpected_error_is_one_message_and_exit_1(monkeypatch, capsys, tmp_path, error):
    def failing_build(*arguments, **keywords):
        raise error

    monkeypatch.setattr(publish, "build", failing_build)
    assert cli.main(["build", "--database", str(tmp_path / "kent.duckdb")]) == 1
    stderr = capsys.readouterr().err
    assert stderr.splitlines()[0] == f"build failed: {type(error).__name__}: {error}"
    assert "Traceback" not in stderr and "unchanged" in stderr
