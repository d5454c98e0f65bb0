"""Kent's districts and wards as the pages list them, and the ward and district of a postcode."""
from __future__ import annotations

import pandas as pd

from geo.explorer import db


def districts() -> pd.DataFrame:
    """The 12 districts with population and ward counts."""
    return db.run("district_choices")


def wards() -> pd.DataFrame:
    """All 255 wards with their districts."""
    return db.run("ward_choices")


def find_postcode(postcode: str) -> dict | None:
    """The ward and district of a normalised Kent postcode, or None."""
    rows = db.run("postcode_area", postcode=postcode)
    return None if rows.empty else rows.iloc[0].to_dict()
