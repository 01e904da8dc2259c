"""The API over real HTTP: uvicorn on 127.0.0.1 called with httpx, and parity with ``hub queue call --json``."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.accounts.tokens import create_token
from hub.cli import main
from hub.db import create_engine, create_session_factory
from tests.factories import World, build_world, web_app

SERVER_START_TIMEOUT_SECONDS = 15


@dataclass
class LiveServer:
    base_url: str
    world: World
    agent_token: str
    admin_token: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed_world_with_tokens(database_url: str) -> tuple[World, str, str]:
    async def work() -> tuple[World, str, str]:
        engine = create_engine(database_url)
        try:
            async with create_session_factory(engine)() as session:
                world = await build_world(session)
                _, agent_token = await create_token(session, world.agent, "http test")
                _, admin_token = await create_token(session, world.admin, "http test")
                await session.commit()
                return world, agent_token, admin_token
        finally:
            await engine.dispose()

    return asyncio.run(work())


def wait_until_started(server: uvicorn.Server) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while not server.started:
        if time.monotonic() > deadline:
            raise TimeoutError(f"uvicorn did not start within {SERVER_START_TIMEOUT_SECONDS} s")
        time.sleep(0.05)


@pytest.fixture
def live_server(database_url: str, engine: AsyncEngine) -> Iterator[LiveServer]:
    world, agent_token, admin_token = seed_world_with_tokens(database_url)
    port = free_port()
    config = uvicorn.Config(web_app(database_url), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until_started(server)
    yield LiveServer(f"http://127.0.0.1:{port}", world, agent_token, admin_token)
    server.should_exit = True
    thread.join(timeout=10)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_http_me_with_token(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.base_url) as http:
        response = http.get("/api/v1/me", headers=bearer(live_server.agent_token))

    assert response.status_code == 200
    assert response.json()["email"] == "agent@acme.test"


def test_http_missing_token_is_401(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.base_url) as http:
        response = http.get("/api/v1/clients")

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]["status"] == 401


def test_http_outcome_post_without_csrf(live_server: LiveServer) -> None:
    case_id = live_server.world.cases["D-300"].id
    with httpx.Client(base_url=live_server.base_url) as http:
        posted = http.post(
            f"/api/v1/cases/{case_id}/outcomes", json={"outcome": "no_answer"}, headers=bearer(live_server.agent_token)
        )
        timeline = http.get(f"/api/v1/cases/{case_id}/timeline", headers=bearer(live_server.agent_token))

    assert posted.status_code == 201
    assert timeline.json()[0]["title"] == "Outbound call: No answer"


def test_http_openapi_document(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.base_url) as http:
        response = http.get("/schema/openapi.json")

    assert response.status_code == 200
    assert "/api/v1/queues/call" in response.json()["paths"]


def test_http_queue_matches_cli_json(live_server: LiveServer, hub_env: dict[str, str]) -> None:
    cli = CliRunner().invoke(main, ["queue", "call", "--json"])
    with httpx.Client(base_url=live_server.base_url) as http:
        response = http.get("/api/v1/queues/call", headers=bearer(live_server.admin_token))

    assert cli.exit_code == 0, cli.output
    cli_rows = json.loads(cli.output)
    api_rows = response.json()
    assert [row["case_id"] for row in api_rows] == [row["case_id"] for row in cli_rows]
    assert [{key: row[key] for key in cli_rows[0]} for row in api_rows] == cli_rows
    assert set(api_rows[0]) == set(cli_rows[0]) | {"debtor_name"}
