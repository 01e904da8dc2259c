"""A live uvicorn server and Debian's Chromium for the browser tests.

The server runs the real app in a thread on a free 127.0.0.1 port against
the test database. Playwright drives /usr/bin/chromium and never
downloads a browser of its own.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn
from playwright.sync_api import Browser, sync_playwright

from hub.cli_support import run_in_session
from tests.factories import World, build_world, web_app
from tests.services import require_chromium

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_TIMEOUT_SECONDS = 15


@dataclass
class LiveServer:
    base_url: str
    world: World


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed_world(database_url: str) -> World:
    return run_in_session(build_world, database_url)


def wait_until_started(server: uvicorn.Server) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while not server.started:
        if time.monotonic() > deadline:
            raise TimeoutError(f"uvicorn did not start within {SERVER_START_TIMEOUT_SECONDS} s")
        time.sleep(0.05)


def run_live_server(database_url: str) -> Iterator[LiveServer]:
    """Seed the base world, serve the app on a free port and stop it when the caller is done."""
    world = seed_world(database_url)
    port = free_port()
    config = uvicorn.Config(web_app(database_url), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until_started(server)
    yield LiveServer(f"http://127.0.0.1:{port}", world)
    server.should_exit = True
    thread.join(timeout=10)


def launch_chromium() -> Iterator[Browser]:
    """Launch headless Chromium, or skip (fail under HUB_TEST_REQUIRE_SERVICES=1) when it is missing."""
    executable = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
