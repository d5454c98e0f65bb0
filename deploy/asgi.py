"""The app as deploy/run_app.sh serves it: app.py, plus a health check that reports a bad database file.

Streamlit's own /_stcore/health answers "ok" whenever its runtime is up, so a replica whose database file
has gone bad (it keeps serving its last good opening) would never be routed around. st.App's middleware
(public API, runs before Streamlit's routes) answers /_stcore/health itself when geo.explorer.db reports a fault:
503 with a fixed message (no path); otherwise Streamlit answers as usual.
"""
from __future__ import annotations

import asyncio

import streamlit as st
from starlette.middleware import Middleware

from geo.explorer import db

HEALTH_PATH = "/_stcore/health"


class DatabaseHealth:
    """ASGI middleware: /_stcore/health is 503 while the database file in service cannot be read."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == HEALTH_PATH:
            ok, message = await asyncio.to_thread(db.health)  # file checks off the event loop
            if not ok:
                body = message.encode()
                await send({"type": "http.response.start", "status": 503,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                        (b"cache-control", b"no-cache"), (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


app = st.App("../app.py", middleware=[Middleware(DatabaseHealth)])
