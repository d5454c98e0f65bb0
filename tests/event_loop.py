"""Run a coroutine to completion from a test, whatever else holds the main thread's event loop.

Playwright's sync API (the browser tests, which run earlier in the same pytest process) keeps an asyncio loop
running in the main thread, where asyncio.run() then refuses to start; a worker thread has no loop of its own.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor


def run_coroutine(coroutine):
    """``asyncio.run(coroutine)`` in a fresh worker thread, returning its result or raising its exception."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
