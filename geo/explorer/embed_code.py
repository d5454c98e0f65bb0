"""The embed code the About page gives a host page (kent.gov.uk): the light embed by default, or the interactive one.

The snippet is the iframe with a title saying what it shows, a "Skip the embedded map" link before it, and
"Open the full explorer" and "View the data as a table" links after it, outside the frame, so a keyboard or
screen-reader user can pass the frame and reach the data without entering it. No streamlit import here.
"""
from __future__ import annotations

import re
from html import escape
from urllib.parse import urlencode

from geo.explorer import state as url_state

KINDS = {"light": "Light (recommended: fast on phones, works without JavaScript)",
         "interactive": "Interactive (the full Streamlit explorer view)"}
KENT_AREA = "kent"


def light_url(base_url: str, district_code: str | None, layer_id: str, behind_proxy: bool = True) -> str:
    """The light embed page: /embed/<area>/<layer> behind deploy/'s nginx, else Streamlit's static path."""
    area = district_code or KENT_AREA
    path = f"/embed/{area}/{layer_id}" if behind_proxy else f"/app/static/embed/{area}/{layer_id}.html"
    return _base(base_url) + path


def explorer_url(base_url: str, district_code: str | None, layer_id: str, embed: bool = False,
                 release_id: str | None = None) -> str:
    """The full explorer's view of a district (or Kent) and layer, as its URL parameters describe it (pinned to
    data release `release_id` if given)."""
    default = url_state.ViewState(level="ward")
    params = url_state.to_params(url_state.ViewState(district=district_code, layer=layer_id, level="ward",
                                                     embed=embed), default)
    params = {**({"district": district_code} if district_code else {}), "layer": layer_id, **params}  # always name
    if release_id:
        params[url_state.RELEASE_PARAM] = release_id
    return _base(base_url) + ("/district" if district_code else "/") + "?" + urlencode(params)


def _base(base_url: str) -> str:
    return (base_url or "").strip().rstrip("/")


def snippet(kind: str, base_url: str, district_code: str | None, layer_id: str, area_name: str, layer_label: str,
            behind_proxy: bool = True, release_id: str | None = None, pin: bool = False) -> str:
    """The HTML a host page pastes in: skip link, titled iframe, then the full-explorer and table links, after a
    comment naming the data release it was made from. With `pin` (interactive only: the light pages are always the
    latest release's), the frame and the links show that release's figures for good."""
    if kind not in KINDS:
        raise ValueError(f"unknown embed kind {kind!r}; valid: {', '.join(KINDS)}")
    area = district_code or KENT_AREA
    anchor = "kle-after-" + re.sub(r"[^a-z0-9-]", "-", f"{area}-{layer_id}".lower())
    if pin and kind != "interactive":
        raise ValueError("only the interactive embed can be pinned to a data release")
    pinned = release_id if pin else None
    full = explorer_url(base_url, district_code, layer_id, release_id=pinned)
    if kind == "light":
        src = light_url(base_url, district_code, layer_id, behind_proxy)
        table = src + "#table"
        height = 900 if district_code else 1100
    else:
        src = explorer_url(base_url, district_code, layer_id, embed=True, release_id=pinned)
        table = _base(base_url) + "/data?" + urlencode(({"district": district_code} if district_code else {})
                                                       | ({url_state.RELEASE_PARAM: pinned} if pinned else {}))
        table = table.rstrip("?")
        height = 720
    e = lambda text: escape(text, quote=True)  # noqa: E731 - local shorthand
    title = f"Map: {layer_label} by ward, {area_name} (Kent Locality Explorer)"
    made_from = (f"pinned to data release {release_id}" if pinned else
                 f"made from data release {release_id}; it shows the latest release" if release_id else "")
    return "\n".join(([f"<!-- Kent Locality Explorer embed, {e(made_from)} -->"] if made_from else []) + [
        f'<a href="#{anchor}">Skip the embedded map</a>',
        f'<iframe src="{e(src)}" title="{e(title)}" width="100%" height="{height}" style="border:0" '
        'loading="lazy"></iframe>',
        f'<p id="{anchor}"><a href="{e(full)}">Open the full explorer</a> | '
        f'<a href="{e(table)}">View the data as a table</a></p>',
    ])
