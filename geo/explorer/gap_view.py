"""The gap index as the explorer shows it: the index's inputs read from the built database, then geo.gap's maths;
its map layer, ranked table, CSV, method table and words."""
from __future__ import annotations

import io

import pandas as pd

from geo import gap
from geo.catalogue import NO_DATA, format_value
from geo.explorer import db, metadata, text
from geo.explorer.layers import Layer, classified_layer, layer
from geo.explorer.metadata import indicator
from geo.explorer.release_view import release_id
from geo.gap import DEFAULT_SEED, DRAWS, GapResult, Weights, compute, indicator_ids

GAP_COMPONENT_LABELS = {"broadband": "Broadband gap", "transport": "Transport gap", "services": "Access-to-services gap"}


def ward_inputs() -> pd.DataFrame:
    """One row per Kent ward (index ward_code) with names and every indicator the index reads."""
    long = db.run("gap_ward_inputs", indicator_ids=indicator_ids(metadata.gap_components()))
    wide = long.pivot_table(index="ward_code", columns="indicator_id", values="value", aggfunc="first", dropna=False)
    names = long.drop_duplicates("ward_code").set_index("ward_code")[["ward_name", "district_code", "district_name"]]
    return names.join(wide)


def from_database(weights: Weights, seed: int = DEFAULT_SEED, draws: int = DRAWS) -> GapResult:
    """The gap index for Kent's wards from the built database (its catalogue and components too), computed here
    rather than in the worker (tests compare the two)."""
    ward_values, catalogue, components = gap_inputs()
    return compute(ward_values, catalogue, weights, seed, draws, components)


def gap_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(ward inputs, catalogue, components) as geo.gap.compute takes them, read once per database file."""
    return db.derived("gap_inputs", lambda: (ward_inputs(), metadata.catalogue(), metadata.gap_components()))


def gap_result(weights: gap.Weights, seed: int) -> gap.GapResult:
    """The gap index for Kent's wards at these weights; cached per database file. The maths runs in the gap pool's
    low-priority worker process (geo.explorer.worker), so it can raise WorkerUnavailable."""
    def make() -> gap.GapResult:
        ward_values, catalogue, components = gap_inputs()  # read here, in the server: the worker never sees the database
        return db.GAP_POOL.call(compute, ward_values, catalogue, weights, seed, DRAWS, components)
    return db.derived("gap_result", make, pool=db.GAP_POOL, weights=weights, seed=seed)


def gap_layer(result: gap.GapResult, district_code: str | None, scheme: str = "quantiles") -> Layer:
    """The map layer of a gap result (the user's weights), for Kent's wards or one district's."""
    row = indicator(gap.INDEX_ID)
    weights = "/".join(str(w) for w in result.weights.as_tuple())
    row = dict(row, label=f"Infrastructure gap index ({gap.PRESET_LABELS[result.weights.preset()].lower()} weights {weights})",
               method=f"Each ward's broadband, transport and access-to-services gaps, each input scored as a Kent ward "
                      f"percentile (0 = smallest gap, 1 = biggest), combined with weights {weights} "
                      f"(broadband/transport/services) and scaled to 0-100. Method and direction checks are below.")
    wards = result.wards.set_index("ward_code")
    values = db.run("area_values_for_indicator", indicator_id=gap.INDEX_ID, level="ward", district_code=district_code)
    values = values.assign(value=values.area_code.map(wards[gap.INDEX_ID]),
                           kent_rank=values.area_code.map(wards["rank"]),
                           kent_areas_ranked=int(wards["rank"].notna().sum()))
    values = values.sort_values(["kent_rank", "area_name"], na_position="last").reset_index(drop=True)
    return classified_layer(row, "ward", district_code, values, scheme, [])


def share_with_margin(share: float, margin: float) -> str:
    """A worst-ten share and its 95% margin in percentage points, e.g. "83.4% ± 0.4"."""
    return f"{100 * share:.1f}% ± {100 * margin:.1f}"


def gap_stability_text(result: gap.GapResult) -> str:
    """What the rank bands vary and what they leave alone, for the /gap page."""
    return (f"Each of the three component weights (broadband, transport, services) was multiplied by a factor between "
            f"{1 - gap.WEIGHT_SPREAD:g} and {1 + gap.WEIGHT_SPREAD:g}, in {result.draws:,} combinations spread evenly over "
            f"that range (seed {result.seed}). The bands do not vary the inputs' own weights within a component, nor the "
            "data. The bar is the range of Kent ranks a ward takes in the middle 90% of those weightings; the dot is its "
            f"rank at your weights. A short bar is a rank you can lean on. A ward's share of weightings in Kent's worst "
            f"{gap.WORST} is given with its 95% margin; with another seed the shares move by about that much.")


def gap_table(result: gap.GapResult, district_code: str | None) -> pd.DataFrame:
    """The ranked table people read: index, components, rank with its band, worst-ten share, need."""
    rows = result.in_district(district_code)
    out_of = int(result.wards["rank"].notna().sum())

    def number(value, decimals=1):
        return NO_DATA if pd.isna(value) else f"{value:.{decimals}f}"

    return pd.DataFrame({
        "Ward code": rows.ward_code, "Ward": rows.ward_name, "District": rows.district_name,
        "Gap index (0-100)": [number(v) for v in rows[gap.INDEX_ID]],
        "Kent rank (1 = biggest gap)": [("" if pd.isna(r) else f"{int(r)} of {out_of}") for r in rows["rank"]],
        "Rank band (5th-95th percentile)": [("" if pd.isna(lo) else f"{int(lo)}-{int(hi)}")
                                            for lo, hi in zip(rows.band_low, rows.band_high)],
        f"In Kent's worst {gap.WORST} (share of weightings ± 95% margin)": [
            "" if pd.isna(v) else share_with_margin(v, m) for v, m in zip(rows.worst_ten_share, rows.worst_ten_margin)],
        **{f"{label} (0-100)": [number(v) for v in rows[f"{c}_gap"]] for c, label in GAP_COMPONENT_LABELS.items()},
        "Need (0-100)": [number(v) for v in rows.need_score],
        "Need x provision": rows.quadrant,
    })


def gap_download(result: gap.GapResult, district_code: str | None) -> bytes:
    """CSV of the index, its components, bands, need and every input value, with the method and sources."""
    rows = result.in_district(district_code)
    inputs = ward_inputs()[list(dict.fromkeys(list(metadata.gap_components().indicator_id) + list(gap.NEED_INDICATORS)))]
    frame = rows.drop(columns=["band_widened"]).rename(columns={"rank": "kent_rank", "band_low": "rank_band_p05",
                                                                "band_high": "rank_band_p95"}).join(inputs, on="ward_code")
    catalogue_rows = db.run("indicator_catalogue").set_index("indicator_id")
    header = [
        "# Kent Locality Explorer: infrastructure-gap index. For finding places to look, not for setting targets.",
        f"# Data release {release_id() or 'not recorded'} (reopen it with release={release_id()} in the explorer's address).",
        f"# Weights broadband/transport/services = {'/'.join(map(str, result.weights.as_tuple()))} "
        f"({gap.PRESET_LABELS[result.weights.preset()]}); rank bands from {result.draws} weightings, seed {result.seed}, "
        f"each component weight times a factor in [{1 - gap.WEIGHT_SPREAD:g}, {1 + gap.WEIGHT_SPREAD:g}] "
        f"({gap.REPLICATES} scrambled Sobol' sequences); the inputs' own weights and the data are not varied. "
        "worst_ten_margin is the 95% margin of worst_ten_share.",
        "# gap_index, *_gap and need_score are 0-100 (Kent ward percentiles, 100 = biggest gap / most need). "
        "Missing values are left empty, never filled.",
    ] + [f"# {c}: {catalogue_rows.label[c]} ({catalogue_rows.unit[c]}); {catalogue_rows.vintage[c]}; "
         f"{catalogue_rows.attribution[c]}" for c in inputs.columns]
    buffer = io.StringIO()
    buffer.write("\n".join(header) + "\n")
    text.csv_safe(frame).to_csv(buffer, index=False, float_format="%.4f")
    return buffer.getvalue().encode("utf-8")


def gap_method_table(result: gap.GapResult) -> pd.DataFrame:
    """Every input of the index: its component, direction, source and the data check of that direction."""
    catalogue_rows = db.run("indicator_catalogue").set_index("indicator_id")
    checks = result.checks  # one row per input, in the components file's order
    components = metadata.gap_components()
    totals = components.groupby("component").input_weight.transform("sum")
    return pd.DataFrame({
        "Component": checks.component.map(GAP_COMPONENT_LABELS),
        "Input": checks.indicator_id.map(catalogue_rows.label),
        "Source": [f"{catalogue_rows.publisher[i]}, {catalogue_rows.vintage[i]}" for i in checks.indicator_id],
        "Bigger gap when the value is": checks.gap_when,
        "Share of the component": [f"{share:.0%}" for share in components.input_weight / totals],
        "Direction checked against (Spearman across Kent's wards)": [
            "Definition" if not c else f"{catalogue_rows.label[c]}: {rho:+.2f} (expected {expected})"
            for c, rho, expected in zip(checks.check_indicator, checks.spearman, checks.expected)],
        "Why": checks.why,
    })


GAP_BROADBAND_CONTEXT = ("gigabit_pct_2021", "superfast_pct_2021", "below_uso_pct_2021")


def gap_broadband_context(district_code: str | None) -> str:
    """Ofcom's district coverage beside the broadband gap: one sentence, with vintage and source."""
    parts = []
    for indicator_id in GAP_BROADBAND_CONTEXT:
        row = indicator(indicator_id)
        values = layer(indicator_id, "district", None, "quantiles").values.set_index("area_code").value
        label = row["label"][0].lower() + row["label"][1:]
        if district_code:
            parts.append(f"{label}: {format_value(values[district_code], row)}")
        else:
            parts.append(f"{label}: {format_value(values.min(), row)} to {format_value(values.max(), row)} across the 12 districts")
    row = indicator(GAP_BROADBAND_CONTEXT[0])
    return f"Broadband context ({row['vintage']}, by district, not part of the index): " + "; ".join(parts) + "."
