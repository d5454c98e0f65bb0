"""The /gap page's charts as Vega-Lite specs (for st.vega_lite_chart): rank bands, and need against the gap."""
from __future__ import annotations

import pandas as pd

from geo import gap


def gap_band_chart(result: gap.GapResult, district_code: str | None, top: int = 25) -> tuple[pd.DataFrame, dict]:
    """Each ward's rank at the chosen weights (point) and its 5th-95th percentile band (bar): a district's
    wards, or Kent's `top` biggest gaps."""
    rows = result.in_district(district_code).dropna(subset=["rank"])
    rows = rows if district_code else rows.head(top)
    data = rows.assign(ward=rows.ward_name if district_code else rows.ward_name + " (" + rows.district_name + ")",
                       worst_ten_pct=(100 * rows.worst_ten_share).round(0))
    order = list(data.ward)
    encoding_y = {"field": "ward", "type": "nominal", "sort": order, "title": None,
                  "axis": {"labelLimit": 320, "labelOverlap": False}}
    tooltip = [{"field": "ward", "title": "Ward"}, {"field": "rank", "title": "Kent rank"},
               {"field": "band_low", "title": "Band from"}, {"field": "band_high", "title": "Band to"},
               {"field": "worst_ten_pct", "title": f"% of weightings in worst {gap.WORST}"}]
    spec = {
        "height": {"step": 22},
        "layer": [
            {"mark": {"type": "rule", "strokeWidth": 6, "color": "#94c4df"},
             "encoding": {"y": encoding_y, "x": {"field": "band_low", "type": "quantitative", "title": "Kent rank (1 = biggest gap)",
                                                 "scale": {"reverse": False, "zero": False}},
                          "x2": {"field": "band_high"}, "tooltip": tooltip}},
            {"mark": {"type": "point", "filled": True, "size": 60, "color": "#08306b"},
             "encoding": {"y": encoding_y, "x": {"field": "rank", "type": "quantitative"}, "tooltip": tooltip}},
        ],
    }
    return data[["ward", "rank", "band_low", "band_high", "worst_ten_pct"]], spec


def need_provision_chart(result: gap.GapResult, district_code: str | None, labelled: int = 10) -> tuple[pd.DataFrame, dict]:
    """Gap index against need for Kent's wards, quadrants split at Kent's medians, the chosen district's
    wards highlighted and the highest need-and-gap wards labelled."""
    wards = result.wards.dropna(subset=[gap.INDEX_ID, "need_score"])
    shown = wards.district_code == district_code if district_code else pd.Series(True, index=wards.index)
    both = (wards[gap.INDEX_ID].rank(pct=True) + wards.need_score.rank(pct=True)).where(shown)
    data = wards.assign(group=shown.map({True: "Wards shown", False: "Other Kent wards"}),
                        label=wards.ward_name.where(both.rank(ascending=False) <= labelled, ""),
                        gap=wards[gap.INDEX_ID].round(1), need=wards.need_score.round(1))
    need_median, gap_median = float(wards.need_score.median()), float(wards[gap.INDEX_ID].median())
    x = {"field": "need", "type": "quantitative", "title": "Need: income and employment deprivation (Kent percentile, 0-100)",
         "scale": {"domain": [0, 100]}}
    y = {"field": "gap", "type": "quantitative", "title": "Infrastructure gap index (0-100)", "scale": {"domain": [0, 100]}}
    corners = pd.DataFrame([
        {"need": 99, "gap": 97, "text": "Higher need, bigger gap", "align": "right"},
        {"need": 1, "gap": 97, "text": "Lower need, bigger gap", "align": "left"},
        {"need": 99, "gap": 3, "text": "Higher need, smaller gap", "align": "right"},
        {"need": 1, "gap": 3, "text": "Lower need, smaller gap", "align": "left"},
    ])
    spec = {
        "height": 460,
        "layer": [
            {"mark": {"type": "rule", "color": "#6e6e6e", "strokeDash": [4, 4]}, "data": {"values": [{"need": need_median}]},
             "encoding": {"x": {"field": "need", "type": "quantitative"}}},
            {"mark": {"type": "rule", "color": "#6e6e6e", "strokeDash": [4, 4]}, "data": {"values": [{"gap": gap_median}]},
             "encoding": {"y": {"field": "gap", "type": "quantitative"}}},
            {"mark": {"type": "text", "fontWeight": "bold", "color": "#4a4b57", "baseline": "middle"},
             "data": {"values": corners.to_dict(orient="records")},
             "encoding": {"x": {"field": "need", "type": "quantitative"}, "y": {"field": "gap", "type": "quantitative"},
                          "text": {"field": "text"}, "align": {"field": "align"}}},
            {"mark": {"type": "point", "filled": True, "size": 45},
             "encoding": {"x": x, "y": y,
                          "color": {"field": "group", "type": "nominal", "title": None, "legend": {"orient": "bottom"},
                                    "scale": {"domain": ["Wards shown", "Other Kent wards"], "range": ["#08306b", "#bdbdbd"]}},
                          "order": {"field": "group", "sort": "descending"},
                          "tooltip": [{"field": "ward_name", "title": "Ward"}, {"field": "district_name", "title": "District"},
                                      {"field": "gap", "title": "Gap index"}, {"field": "need", "title": "Need"},
                                      {"field": "quadrant", "title": "Quadrant"}]}},
            {"mark": {"type": "text", "dx": 6, "align": "left", "fontSize": 11, "color": "#1a1a1a"},
             "encoding": {"x": x, "y": y, "text": {"field": "label"}}},
        ],
    }
    return data[["ward_name", "district_name", "need", "gap", "quadrant", "group", "label"]], spec
