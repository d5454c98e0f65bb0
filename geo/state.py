"""The URL is the state: parse query parameters into a ViewState, and write one back.

Unknown or malformed values never raise: they fall back to a default and add a short
warning that lists the valid choices.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable, Mapping

LEVELS = ("district", "ward", "lsoa")
LEVEL_LABELS = {"district": "Districts", "ward": "Wards", "lsoa": "Neighbourhoods (LSOAs)"}
CLASS_SCHEMES = ("quantiles", "natural_breaks", "equal_interval", "national_deciles")
CLASS_LABELS = {"quantiles": "Quantiles (equal counts)", "natural_breaks": "Natural breaks (Fisher-Jenks)",
                "equal_interval": "Equal intervals", "national_deciles": "England's deciles (IoD)"}
DEFAULT_LAYER = "imd_score"
MAX_COMPARED_WARDS = 6
_CODE = re.compile(r"^E0[0-9]{7}$")


@dataclass(frozen=True)
class ViewState:
    """What a view shows."""

    district: str | None = None
    wards: tuple[str, ...] = ()
    layer: str = DEFAULT_LAYER
    level: str = "ward"
    classes: str = "quantiles"
    embed: bool = False
    overlays: tuple[str, ...] = ()


OVERLAYS = ("rail_stations", "bus_stops")


def _first(value) -> str:
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else ""
    return str(value if value is not None else "").strip()


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def parse(params: Mapping[str, object], *, districts: Iterable[str], wards: Iterable[str], layers: Iterable[str],
          default: ViewState = ViewState()) -> tuple[ViewState, list[str]]:
    """Validate URL parameters against the known codes and catalogue; return the state and warnings."""
    districts, wards, layers = set(districts), set(wards), list(layers)
    warnings: list[str] = []
    state = default

    if "district" in params and _first(params["district"]):
        code = _first(params["district"]).upper()
        if code in districts:
            state = replace(state, district=code)
        else:
            warnings.append(f"Unknown district {_short(code)!r}: use a Kent district code such as E07000114 (Thanet).")

    if "ward" in params and _first(params["ward"]):
        chosen, bad = [], []
        for code in _first(params["ward"]).upper().split(","):
            code = code.strip()
            if code in wards and code not in chosen:
                chosen.append(code)
            elif code and code not in chosen:
                bad.append(code)
        if bad:
            warnings.append(f"Ignored unknown ward code(s): {', '.join(_short(b) for b in bad[:3])}"
                            + (" and more" if len(bad) > 3 else "") + ". Ward codes look like E05005093.")
        if len(chosen) > MAX_COMPARED_WARDS:
            warnings.append(f"At most {MAX_COMPARED_WARDS} wards can be compared; kept the first {MAX_COMPARED_WARDS}.")
            chosen = chosen[:MAX_COMPARED_WARDS]
        state = replace(state, wards=tuple(chosen))

    for name, valid, label in (("layer", layers, "layer"), ("level", LEVELS, "level"), ("classes", CLASS_SCHEMES, "classes")):
        if name in params and _first(params[name]):
            value = _first(params[name]).lower()
            if value in valid:
                state = replace(state, **{name: value})
            else:
                shown = ", ".join(list(valid)[:8]) + (", ..." if len(list(valid)) > 8 else "")
                warnings.append(f"Unknown {label} {_short(value)!r}; showing {getattr(state, name)!r}. Valid: {shown}.")

    if "overlays" in params and _first(params["overlays"]):
        requested = [o.strip() for o in _first(params["overlays"]).lower().split(",") if o.strip()]
        state = replace(state, overlays=tuple(o for o in OVERLAYS if o in requested))
        if set(requested) - set(OVERLAYS):
            warnings.append(f"Unknown overlay ignored; valid overlays: {', '.join(OVERLAYS)}.")

    if "embed" in params:
        state = replace(state, embed=_first(params["embed"]).lower() in ("true", "1", "yes"))
    return state, warnings


def to_params(state: ViewState, default: ViewState = ViewState()) -> dict[str, str]:
    """Query parameters for a state; values equal to the page default are left out to keep links short."""
    params: dict[str, str] = {}
    if state.district:
        params["district"] = state.district
    if state.wards:
        params["ward"] = ",".join(state.wards)
    for name in ("layer", "level", "classes"):
        if getattr(state, name) != getattr(default, name):
            params[name] = getattr(state, name)
    if state.overlays:
        params["overlays"] = ",".join(state.overlays)
    if state.embed:
        params["embed"] = "true"
    return params


POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$")


def normalise_postcode(text: str) -> str | None:
    """'ct91ae ' -> 'CT9 1AE'; None when it cannot be a UK postcode."""
    match = POSTCODE.match(re.sub(r"\s+", " ", (text or "").strip().upper())[:10])
    return f"{match.group(1)} {match.group(2)}" if match else None


def is_area_code(text: str) -> bool:
    """True for strings shaped like an ONS E0… area code."""
    return bool(_CODE.match(text or ""))
