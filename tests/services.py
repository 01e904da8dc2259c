"""Which external services the suite may use, and what a missing one means.

``HUB_TEST_REQUIRE_SERVICES=1`` (set by CI) turns every skip for a missing
service into a failure, so a CI run cannot pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest

SERVICES_REQUIRED = os.environ.get("HUB_TEST_REQUIRE_SERVICES") == "1"
REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM_PATH = os.environ.get("HUB_TEST_CHROMIUM", "/usr/bin/chromium")


def skip_or_fail(reason: str) -> None:
    if SERVICES_REQUIRED:
        pytest.fail(f"{reason} (HUB_TEST_REQUIRE_SERVICES=1 forbids skipping)")
    pytest.skip(reason)


def is_listening(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def require_redis() -> str:
    if not is_listening(REDIS_URL, 6379):
        skip_or_fail(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


def require_chromium() -> str:
    if shutil.which(CHROMIUM_PATH) is None:
        skip_or_fail(f"Chromium is not installed at {CHROMIUM_PATH}: apt-get install chromium")
    return CHROMIUM_PATH
