"""The URL is the state: parse query parameters into a ViewState, and write one back.

Unknown or malformed values never raise: they fall back to a default and add a short
warning that lists the valid choices.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable, Mapping
from urllib.parse import quote, urlencode

from geo import gap, releases

# The one definition of the map levels (coarsest first) and the words for each: label, noun, plural.
_LEVEL_WORDS = {
    "district": ("Districts", "district", "districts"),
    "ward": ("Wards", "ward", "wards"),
    "lsoa": ("Neighbourhoods (LSOAs)", "neighbourhood (LSOA)", "neighbourhoods (LSOAs)"),
}
LEVELS = tuple(_LEVEL_WORDS)
LEVEL_LABELS = {level: words[0] for level, words in _LEVEL_WORDS.items()}
LEVEL_NOUN = {level: words[1] for level, words in _LEVEL_WORDS.items()}
LEVEL_PLURAL = {level: words[2] for level, words in _LEVEL_WORDS.items()}
# The one definition of the map class schemes, in menu order, with their labels (geo.explorer.maps.SCHEMES holds
# their implementations, in this order).
CLASS_LABELS = {"quantiles": "Quantiles (equal counts)", "natural_breaks": "Natural breaks (Fisher-Jenks)",
                "equal_interval": "Equal intervals", "national_deciles": "England's deciles (IoD)"}
CLASS_SCHEMES = tuple(CLASS_LABELS)
DEFAULT_LAYER = "imd_score"
MAX_COMPARED_WARDS = 6


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
    scale: str = "district"  # district maps: colours classed within the district, or across Kent
    fifth: int | None = None  # /data: only areas in this fifth of Kent's ranking by the layer (1 = worst)
    rank_max: int | None = None  # /data: only areas ranked this or better in Kent by the layer
    value_filters: tuple[tuple[str, float | None, float | None], ...] = ()  # /data: (indicator, at least, at most)


# The one definition of the map's point overlays, with their menu labels (geo.explorer.maps draws them).
OVERLAY_LABELS = {"rail_stations": "Rail stations", "bus_stops": "Bus stops"}
OVERLAYS = tuple(OVERLAY_LABELS)
SCALE_LABELS = {"district": "Within the district", "kent": "Across Kent (comparable between districts)"}
SCALES = tuple(SCALE_LABELS)
FIFTHS = (1, 2, 3, 4, 5)
MAX_RANK = 10_000
_NUMBER = re.compile(r"^-?[0-9]{1,12}(\.[0-9]{1,12})?$")


def _filters(params: Mapping[str, object], layers: list[str], warnings: list[str]):
    """Value filters from min_<indicator>/max_<indicator> parameters, in catalogue order."""
    bounds: dict[str, list] = {}
    for key in params:
        bound = str(key)[:4]
        if bound not in ("min_", "max_"):
            continue
        indicator, text = str(key)[4:], _first(params[key])
        if indicator not in layers:
            warnings.append(f"Ignored the filter {_code(str(key))}: no such indicator.")
        elif not _NUMBER.match(text):
            warnings.append(f"Ignored {_code(str(key))}={_code(text)}: a filter needs a plain number such as 30 or 12.5.")
        else:
            bounds.setdefault(indicator, [None, None])[bound == "max_"] = float(text)
    return tuple((i, *bounds[i]) for i in layers if i in bounds)


def _whole(params, name: str, allowed: range, warnings: list[str]) -> int | None:
    text = _first(params.get(name, ""))
    if not text:
        return None
    if _WHOLE_NUMBER.match(text) and int(text) in allowed:
        return int(text)
    warnings.append(f"Ignored {name}={_code(text)}: use a whole number from {allowed.start} to {allowed.stop - 1}.")
    return None


def _number_text(value: float) -> str:
    return f"{value:.12g}"


def _first(value) -> str:
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else ""
    return str(value if value is not None else "").strip()


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _code(text: str) -> str:
    """User text for a warning: shortened, as an inline code span, so Streamlit's markdown shows it
    literally (no HTML, links, images, colours or icons made from it)."""
    return code_span(_short(text))


def code_span(text: str) -> str:
    """User text as a markdown inline code span, shown literally (no markup made from it)."""
    shown = "".join(c if c.isprintable() else "\ufffd" for c in text).replace("`", "'")
    return f"`{shown}`"


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
            warnings.append(f"Unknown district {_code(code)}: use a Kent district code such as E07000114 (Thanet).")

    if "ward" in params and _first(params["ward"]):
        chosen, bad = [], []
        for code in _first(params["ward"]).upper().split(","):
            code = code.strip()
            if code in wards and code not in chosen:
                chosen.append(code)
            elif code and code not in chosen:
                bad.append(code)
        if bad:
            warnings.append(f"Ignored unknown ward code(s): {', '.join(_code(b) for b in bad[:3])}"
                            + (" and more" if len(bad) > 3 else "") + ". Ward codes look like E05005093.")
        if len(chosen) > MAX_COMPARED_WARDS:
            warnings.append(f"At most {MAX_COMPARED_WARDS} wards can be compared; kept the first {MAX_COMPARED_WARDS}.")
            chosen = chosen[:MAX_COMPARED_WARDS]
        state = replace(state, wards=tuple(chosen))

    for name, valid, label in (("layer", layers, "layer"), ("level", LEVELS, "level"), ("classes", CLASS_SCHEMES, "classes"),
                               ("scale", SCALES, "scale")):
        if name in params and _first(params[name]):
            value = _first(params[name]).lower()
            if value in valid:
                state = replace(state, **{name: value})
            else:
                shown = ", ".join(list(valid)[:8]) + (", ..." if len(list(valid)) > 8 else "")
                warnings.append(f"Unknown {label} {_code(value)}; showing {getattr(state, name)!r}. Valid: {shown}.")

    if "overlays" in params and _first(params["overlays"]):
        requested = [o.strip() for o in _first(params["overlays"]).lower().split(",") if o.strip()]
        state = replace(state, overlays=tuple(o for o in OVERLAYS if o in requested))
        if set(requested) - set(OVERLAYS):
            warnings.append(f"Unknown overlay ignored; valid overlays: {', '.join(OVERLAYS)}.")

    state = replace(state, fifth=_whole(params, "fifth", range(1, 6), warnings),
                    rank_max=_whole(params, "rank_max", range(1, MAX_RANK + 1), warnings),
                    value_filters=_filters(params, layers, warnings))

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
    if state.scale != default.scale:
        params["scale"] = state.scale
    if state.fifth:
        params["fifth"] = str(state.fifth)
    if state.rank_max:
        params["rank_max"] = str(state.rank_max)
    for indicator, low, high in state.value_filters:
        if low is not None:
            params[f"min_{indicator}"] = _number_text(low)
        if high is not None:
            params[f"max_{indicator}"] = _number_text(high)
    if state.embed:
        params["embed"] = "true"
    return params


# --- the /gap page -------------------------------------------------------------------------------
WEIGHT_PARAMS = {component: f"w_{component}" for component in gap.COMPONENTS}
# Seeds a URL may pin: the default and a short list. Each new seed costs a full rank-stability run (about
# half a second of CPU); 2^32 of them made /gap a lever anyone could pull to slow every other visitor.
GAP_SEEDS = (gap.DEFAULT_SEED, *range(1, 21))
_WHOLE_NUMBER = re.compile(r"^[0-9]{1,10}$")  # ASCII digits only: str.isdigit() accepts '²'


@dataclass(frozen=True)
class GapView:
    """What the gap page shows: weights (possibly all zero, which the page refuses), seed and district."""

    district: str | None = None
    weights: tuple[int, int, int] = gap.PRESETS[gap.DEFAULT_PRESET]
    seed: int = gap.DEFAULT_SEED
    embed: bool = False

    @property
    def preset(self) -> str:
        """The preset the weights equal, or 'custom'."""
        return gap.preset_of(self.weights)


def parse_gap(params: Mapping[str, object], *, districts: Iterable[str]) -> tuple[GapView, list[str]]:
    """Validate the gap page's URL parameters: preset, w_broadband, w_transport, w_services, seed, district."""
    view, warnings = GapView(), []
    base, district_warnings = parse({k: v for k, v in params.items() if k in ("district", "embed")},
                                    districts=districts, wards=(), layers=())
    view = replace(view, district=base.district, embed=base.embed)
    warnings += district_warnings
    preset = _first(params.get("preset", "")).lower()
    if preset and preset != "custom":
        if preset in gap.PRESETS:
            view = replace(view, weights=gap.PRESETS[preset])
        else:
            warnings.append(f"Unknown preset {_code(preset)}; using {gap.DEFAULT_PRESET!r}. "
                            f"Valid: {', '.join(gap.PRESETS)}.")
    weights = list(view.weights)
    for position, (component, name) in enumerate(WEIGHT_PARAMS.items()):
        text = _first(params.get(name, ""))
        if not text:
            continue
        if _WHOLE_NUMBER.match(text) and int(text) <= gap.MAX_WEIGHT:
            weights[position] = int(text)
        else:
            warnings.append(f"The {component} weight must be a whole number from 0 to {gap.MAX_WEIGHT}; "
                            f"ignored {_code(text)} and kept {weights[position]}.")
    view = replace(view, weights=tuple(weights))
    seed = _first(params.get("seed", ""))
    if seed:
        if _WHOLE_NUMBER.match(seed) and int(seed) in GAP_SEEDS:
            view = replace(view, seed=int(seed))
        else:
            warnings.append(f"The seed must be {gap.DEFAULT_SEED} (the default) or a whole number from 1 to "
                            f"{max(GAP_SEEDS[1:])}; ignored {_code(seed)} and used {gap.DEFAULT_SEED}.")
    return view, warnings


def gap_params(view: GapView) -> dict[str, str]:
    """Query parameters for a gap view: the weights are always written out when not the default,
    so a link keeps its meaning even if a preset is redefined later."""
    params: dict[str, str] = {}
    if view.district:
        params["district"] = view.district
    if view.weights != GapView().weights:
        params["preset"] = view.preset
        params.update({name: str(w) for name, w in zip(WEIGHT_PARAMS.values(), view.weights)})
    if view.seed != gap.DEFAULT_SEED:
        params["seed"] = str(view.seed)
    if view.embed:
        params["embed"] = "true"
    return params


POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$")


def page_link(page: str, params: Mapping[str, object]) -> str:
    """A relative link to an explorer page with its query string made by urlencode (spaces as %20; ward lists keep
    their commas): every link the explorer writes goes through here or through to_params."""
    query = urlencode({k: v for k, v in params.items() if v is not None}, quote_via=quote, safe="/,")
    return f"{page}?{query}" if query else page


def normalise_postcode(text: str) -> str | None:
    """'ct91ae ' -> 'CT9 1AE'; None when it cannot be a UK postcode."""
    match = POSTCODE.match(re.sub(r"\s+", " ", (text or "").strip().upper())[:10])
    return f"{match.group(1)} {match.group(2)}" if match else None


# --- the /change page ----------------------------------------------------------------------------
CHANGE_PARAMS = ("district", "layer", "level", "embed")


@dataclass(frozen=True)
class ChangeView:
    """What the change page shows: an indicator's change over time, at a level, for Kent or one district."""

    district: str | None = None
    layer: str = DEFAULT_LAYER
    level: str = "ward"
    embed: bool = False


def parse_change(params: Mapping[str, object], *, districts: Iterable[str], layers: Iterable[str]) -> tuple[ChangeView, list[str]]:
    """Validate the change page's URL parameters (district, layer, level, embed) like every other page's."""
    base, warnings = parse({k: v for k, v in params.items() if k in CHANGE_PARAMS}, districts=districts, wards=(),
                           layers=layers, default=ViewState(level=ChangeView.level))
    return ChangeView(district=base.district, layer=base.layer, level=base.level, embed=base.embed), warnings


def change_params(view: ChangeView) -> dict[str, str]:
    """Query parameters for a change view; defaults are left out."""
    return to_params(ViewState(district=view.district, layer=view.layer, level=view.level, embed=view.embed),
                     ViewState(level=ChangeView.level))


# --- release=<id> on every page ----------------------------------------------------------------------
RELEASE_PARAM = "release"


def parse_release(params: Mapping[str, object]) -> tuple[str | None, list[str]]:
    """The data release a URL pins (release=2026-12-02 or 2026-12-02.2), strictly checked; a malformed value is
    ignored with a warning naming it. Whether that release exists is the page's to check (geo.explorer.release_view)."""
    if RELEASE_PARAM not in params or not _first(params[RELEASE_PARAM]):
        return None, []
    text = _first(params[RELEASE_PARAM])
    if releases.is_release_id(text):
        return text, []
    return None, [f"Unknown data release {_code(text)}: a release is named by its build date, e.g. 2026-12-02 "
                  "(2026-12-02.2 for a second build that day). Showing the latest release."]
