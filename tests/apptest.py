"""Running a page in-process (Streamlit's AppTest) as a visitor's browser does, until the whole page is there."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from geo.config import REPO_ROOT
from pages.components import REST_OF_PAGE_PENDING


def page_app(page: str, timeout: float = 180, **params) -> AppTest:
    """pages/<page>.py as an AppTest, with these URL query parameters, not yet run."""
    app = AppTest.from_file(str(REPO_ROOT / "pages" / f"{page}.py"), default_timeout=timeout)
    for key, value in params.items():
        app.query_params[key] = value
    return app


def run_whole_page(app: AppTest) -> AppTest:
    """``app.run()``, then, if that was a map page's first run and it stopped after the map
    (pages/components.rest_of_page_in_next_run), the whole-page run the browser's timer asks for a moment later.
    AppTest runs no fragment timers; the run the timer asks for is a full rerun, which is what this does."""
    app.run()
    if first_run_stopped_after_map(app):
        app.run()
    return app


def first_run_stopped_after_map(app: AppTest) -> bool:
    """True when the app's last run sent only the map and its table, the rest of the page to follow."""
    return REST_OF_PAGE_PENDING in app.session_state and bool(app.session_state[REST_OF_PAGE_PENDING])
