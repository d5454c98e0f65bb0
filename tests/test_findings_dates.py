"""Findings state their dates and use the newest data the database has (issue 16), for every district."""
from __future__ import annotations

import re

import pytest

from geo.explorer.findings import CONSTITUENCY_SHARE_PCT, district_findings
from geo.config import DISTRICT_CODES

YEAR = re.compile(r"\b(?:19|20)[0-9]{2}\b")


def _sentences(text: str) -> list[str]:
    """Split after a full stop that ends a sentence (not inside 57.1% or 2010-2024)."""
    return [s for s in re.split(r"(?<=\.)\s+(?=[A-Z])", text) if s.strip()]


@pytest.fixture(autouse=True)
def _database(built_database):
    """Findings read the session's real database."""


@pytest.mark.parametrize("district_code", DISTRICT_CODES)
def test_every_finding_sentence_contains_the_year_of_its_data(district_code):
    findings = district_findings(district_code)
    assert len(findings) >= 6
    for finding in findings:
        sentences = _sentences(finding["text"])
        assert sentences
        for sentence in sentences:
            assert YEAR.search(sentence), f"no year in {sentence!r}"
        assert YEAR.search(finding["vintage"]) or finding["vintage"].startswith("IoD")


@pytest.mark.parametrize("district_code", DISTRICT_CODES)
def test_the_gigabit_finding_leads_with_ofcoms_january_2024_constituency_figures(district_code, query):
    finding = next(f for f in district_findings(district_code) if "gigabit" in f["text"])
    name = query("district_choices").set_index("district_code").district_name[district_code]
    latest = query("ofcom_latest_constituencies_for_district", district_code=district_code,
                   min_district_share_pct=CONSTITUENCY_SHARE_PCT)
    assert len(latest) >= 1 and set(latest.snapshot_yyyymm) == {202401}
    first, second = _sentences(finding["text"])
    assert first.startswith("In January 2024, Ofcom's newest figures, published by parliamentary constituency")
    for row in latest.itertuples():  # every constituency covering the district, with its published Jan 2024 value
        assert f"{row.gigabit_pct:.1f}%" in first and row.constituency_name in first
    assert second.startswith("In May 2021, gigabit-capable broadband reached") and f"of premises in {name}" in second
    assert "January 2024" in finding["vintage"] and "May 2021" in finding["vintage"]


def test_thanets_gigabit_finding_gives_both_constituencies_and_the_district_figure():
    text = next(f["text"] for f in district_findings("E07000114") if "gigabit" in f["text"])
    assert "69.7% of premises in North Thanet (72% of Thanet's area) and 75.0% in South Thanet (26% of Thanet's area)" in text
    assert "In May 2021, gigabit-capable broadband reached 57.1% of premises in Thanet" in text
