"""Every route of the app, checked for sign-in, client scope and role guards.

The table is read from the Litestar app itself, so a route added anywhere
is checked without editing this file. Public routes are an explicit
allow-list. For each other route and method:

- signed out, the request gets 401 or a redirect to /login, never 2xx;
- with record ids of client "acme" in the path, a user of client "globex"
  (with the lowest role the route admits) gets 403 or 404;
- a route guarded by role returns 403 or 404 to acme's lower roles, and
  every route under /admin, /debtors or /audit carries the role guard that
  ROLE_GUARD_BY_PREFIX names.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from litestar import Litestar, get
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.models import Role, User
from hub.accounts.services import hash_password
from hub.accounts.tokens import create_token
from hub.cases.models import Case
from hub.disputes.models import Dispute
from hub.invoices.models import Invoice
from hub.web.auth import requires_admin, requires_supervisor
from tests.factories import PASSWORD, World, build_world, csrf_headers, web_app
from tests.payments_factories import seed_payment
from tests.promise_factories import seed_promise

PUBLIC_PATHS = {"/login", "/logout", "/health", "/favicon.ico"}
PUBLIC_PREFIXES = ("/static/", "/schema", "/webhooks/")
# Litestar handles OPTIONS itself and returns only the Allow header, no data.
UNCHECKED_METHODS = {"OPTIONS"}
# Admins manage users and clients across the whole hub, so these ids are not client-scoped for them.
ADMIN_GLOBAL_PARAMS = {"user_id", "client_id"}
# Path prefixes whose every route must carry this role guard. The expected
# role comes from this table, so removing a guard fails the check.
ROLE_GUARD_BY_PREFIX = {"/admin": requires_admin, "/debtors": requires_admin, "/audit": requires_supervisor}
ROLE_BY_GUARD = {requires_admin: Role.ADMIN, requires_supervisor: Role.SUPERVISOR}
PATH_PARAM_PATTERN = re.compile(r"{(\w+)(?::\w+)?}")
DENIED_STATUSES = {403, 404}
# Statuses for a request body rejected before any record is read (the checks send an empty body).
BODY_REJECTED_STATUSES = {400, 422}
SIGNED_OUT_STATUSES = {401, 302, 303}
BASE_URL = "http://testserver.local"
ROLE_ORDER = [Role.AGENT, Role.SUPERVISOR, Role.ADMIN]


@dataclass(frozen=True)
class RouteEntry:
    path: str
    method: str
    handler: HTTPRouteHandler

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def params(self) -> list[str]:
        return PATH_PARAM_PATTERN.findall(self.path)

    @property
    def required_role(self) -> Role:
        """Return the highest role named by the route's guards or by its path prefix."""
        guards = list(self.handler.resolve_guards())
        guards += [guard for prefix, guard in ROLE_GUARD_BY_PREFIX.items() if path_has_prefix(self.path, prefix)]
        roles = [ROLE_BY_GUARD[guard] for guard in guards if guard in ROLE_BY_GUARD]
        return max(roles, key=ROLE_ORDER.index, default=Role.AGENT)


@dataclass
class GuardWorld:
    """The base world plus acme's supervisor, globex's three roles and their API tokens."""

    base: World
    users: dict[tuple[str, Role], User] = field(default_factory=dict)
    tokens: dict[tuple[str, Role], str] = field(default_factory=dict)
    record_ids: dict[str, int] = field(default_factory=dict)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def route_table(app: Litestar) -> list[RouteEntry]:
    """Return every (path, method) of the app that is not on the public allow-list."""
    entries = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or is_public(route.path):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - UNCHECKED_METHODS):
                entries.append(RouteEntry(route.path, method, handler))
    return sorted(entries, key=lambda entry: (entry.path, entry.method))


def app_route_table() -> list[RouteEntry]:
    return route_table(web_app("sqlite+aiosqlite:///:memory:"))


def fill_path(path: str, record_ids: dict[str, int]) -> str:
    """Replace each path parameter by the id of acme's record of that kind."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in record_ids:
            pytest.fail(f"no seeded record for path parameter {name!r}: add one to seed_record_ids")
        return str(record_ids[name])

    return PATH_PARAM_PATTERN.sub(replace, path)


async def first_id(session: AsyncSession, model: type, client_id: int) -> int:
    record_id = await session.scalar(select(model.id).where(model.client_id == client_id).limit(1))
    assert record_id is not None, f"no {model.__name__} seeded for client {client_id}"
    return record_id


async def seed_record_ids(session: AsyncSession, world: GuardWorld) -> dict[str, int]:
    acme = world.base.client
    agent = world.base.agent
    token, _ = await create_token(session, agent, "acme agent token")
    return {
        "case_id": world.base.cases["D-100"].id,
        "debtor_id": world.base.debtors["D-100"].id,
        "invoice_id": await first_id(session, Invoice, acme.id),
        "dispute_id": await first_id(session, Dispute, acme.id),
        "promise_id": (await seed_promise(session, world.base)).id,
        "payment_id": (await seed_payment(session, acme, world.base.debtors["D-100"])).id,
        "client_id": acme.id,
        "user_id": agent.id,
        "token_id": token.id,
    }


async def build_guard_world(session: AsyncSession) -> GuardWorld:
    base = await build_world(session)
    world = GuardWorld(base)
    password_hash = hash_password(PASSWORD)
    world.users[("acme", Role.AGENT)] = base.agent
    world.users[("global", Role.ADMIN)] = base.admin
    for slug, client, role in [
        ("acme", base.client, Role.SUPERVISOR),
        ("globex", base.other_client, Role.AGENT),
        ("globex", base.other_client, Role.SUPERVISOR),
        ("globex", base.other_client, Role.ADMIN),
    ]:
        user = User(
            email=f"{role.value}@{slug}.test",
            display_name=f"{slug} {role.value}",
            password_hash=password_hash,
            role=role,
            clients=[client],
        )
        session.add(user)
        world.users[(slug, role)] = user
    await session.flush()
    for key, user in world.users.items():
        world.tokens[key] = (await create_token(session, user, "route check"))[1]
    world.record_ids = await seed_record_ids(session, world)
    await session.commit()
    return world


@dataclass
class Caller:
    """A test client signed in as one user (or nobody), sending its API token and CSRF token too."""

    client: AsyncTestClient
    token: str | None = None

    def headers(self) -> dict[str, str]:
        headers = csrf_headers(self.client)
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        return headers

    async def send(self, method: str, url: str) -> int:
        response = await self.client.request(method, url, headers=self.headers(), follow_redirects=False)
        if response.status_code in {302, 303}:
            location = response.headers.get("location", "")
            return response.status_code if location.startswith("/login") else 200
        return response.status_code


async def open_caller(app: Litestar, user: User | None, token: str | None) -> Caller:
    client = AsyncTestClient(app=app, base_url=BASE_URL)
    await client.__aenter__()
    await client.get("/login")
    if user is not None:
        data = {"email": user.email, "password": PASSWORD, "next": "/queues/call"}
        response = await client.post("/login", data=data, headers=csrf_headers(client), follow_redirects=False)
        assert response.status_code == 303, f"sign-in of {user.email} failed"
    return Caller(client, token)


async def close_caller(caller: Caller) -> None:
    await caller.client.__aexit__(None, None, None)


def lower_roles(role: Role) -> list[Role]:
    order = [Role.AGENT, Role.SUPERVISOR, Role.ADMIN]
    return order[: order.index(role)]


def exempt_from_scope_check(entry: RouteEntry) -> bool:
    params = set(entry.params)
    return not params or (entry.required_role == Role.ADMIN and params <= ADMIN_GLOBAL_PARAMS)


async def check_signed_out(app: Litestar, entry: RouteEntry, url: str) -> list[str]:
    caller = await open_caller(app, None, None)
    try:
        status = await caller.send(entry.method, url)
    finally:
        await close_caller(caller)
    if status in SIGNED_OUT_STATUSES:
        return []
    return [f"{entry.label}: signed-out request got {status}, expected 401 or a redirect to /login"]


async def check_as(app: Litestar, world: GuardWorld, key: tuple[str, Role], entry: RouteEntry, url: str) -> int:
    caller = await open_caller(app, world.users[key], world.tokens[key])
    try:
        return await caller.send(entry.method, url)
    finally:
        await close_caller(caller)


def owner_key(entry: RouteEntry) -> tuple[str, Role]:
    return ("acme", entry.required_role) if entry.required_role != Role.ADMIN else ("global", Role.ADMIN)


async def check_other_client(app: Litestar, world: GuardWorld, entry: RouteEntry, url: str) -> list[str]:
    """Send acme's ids as a globex user; an empty body rejected for acme's own user too proves nothing leaked."""
    if exempt_from_scope_check(entry):
        return []
    status = await check_as(app, world, ("globex", entry.required_role), entry, url)
    if status in DENIED_STATUSES:
        return []
    # NOTE: a handler that validates the body before reading the record is only checked for the empty body.
    if status in BODY_REJECTED_STATUSES and await check_as(app, world, owner_key(entry), entry, url) == status:
        return []
    return [f"{entry.label}: a globex {entry.required_role.value} got {status} on acme's records, expected 403/404"]


async def check_lower_roles(app: Litestar, world: GuardWorld, entry: RouteEntry, url: str) -> list[str]:
    problems = []
    for role in lower_roles(entry.required_role):
        status = await check_as(app, world, ("acme", role), entry, url)
        if status not in DENIED_STATUSES:
            problems.append(f"{entry.label}: an acme {role.value} got {status}, expected 403/404")
    return problems


def path_has_prefix(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def check_prefix_guard(entry: RouteEntry) -> list[str]:
    guards = entry.handler.resolve_guards()
    return [
        f"{entry.label}: routes under {prefix} need the {guard.__name__} guard"
        for prefix, guard in ROLE_GUARD_BY_PREFIX.items()
        if path_has_prefix(entry.path, prefix) and guard not in guards
    ]


async def find_problems(app: Litestar, world: GuardWorld, entry: RouteEntry) -> list[str]:
    """Return what is wrong with the guards of one route and method; an empty list means nothing."""
    url = fill_path(entry.path, world.record_ids)
    problems = check_prefix_guard(entry)
    problems += await check_signed_out(app, entry, url)
    problems += await check_other_client(app, world, entry, url)
    problems += await check_lower_roles(app, world, entry, url)
    return problems


@pytest.fixture
async def guard_world(session: AsyncSession) -> GuardWorld:
    return await build_guard_world(session)


@pytest.fixture
async def app(database_url: str, engine: AsyncEngine) -> AsyncIterator[Litestar]:
    yield web_app(database_url)


@pytest.mark.parametrize("entry", app_route_table(), ids=lambda entry: entry.label)
async def test_route_is_guarded(app: Litestar, guard_world: GuardWorld, entry: RouteEntry) -> None:
    problems = await find_problems(app, guard_world, entry)

    assert problems == []


def test_route_table_covers_known_routes() -> None:
    labels = {entry.label for entry in app_route_table()}

    assert "GET /cases/{case_id:int}" in labels
    assert "POST /cases/{case_id:int}/outcomes" in labels
    assert "GET /queues/call" in labels
    assert "POST /account/password" in labels


def test_route_table_skips_public_routes() -> None:
    paths = {entry.path for entry in app_route_table()}

    assert "/login" not in paths
    assert "/health" not in paths


def leak_case_route() -> HTTPRouteHandler:
    """A handler that reads a case by id without the caller's client scope."""

    @get("/cases/{case_id:int}/leak")
    async def leak_case(db_session: AsyncSession, case_id: int) -> dict[str, int]:
        case = await db_session.get(Case, case_id)
        assert case is not None
        return {"case_id": case.id, "open_minor": case.open_minor}

    return leak_case


def extended_app(database_url: str, *handlers: Callable[..., object]) -> Litestar:
    app = web_app(database_url)
    for handler in handlers:
        app.register(handler)  # type: ignore[arg-type]
    return app


def entry_for(app: Litestar, label: str) -> RouteEntry:
    return next(entry for entry in route_table(app) if entry.label == label)


async def test_checker_flags_unscoped_case_route(database_url: str, guard_world: GuardWorld) -> None:
    app = extended_app(database_url, leak_case_route())

    problems = await find_problems(app, guard_world, entry_for(app, "GET /cases/{case_id:int}/leak"))

    assert any("a globex agent got 200" in problem for problem in problems)


async def test_checker_flags_public_leak(database_url: str, guard_world: GuardWorld) -> None:
    @get("/cases/{case_id:int}/open-leak", exclude_from_auth=True)
    async def open_leak(case_id: int) -> dict[str, int]:
        return {"case_id": case_id}

    app = extended_app(database_url, open_leak)

    problems = await find_problems(app, guard_world, entry_for(app, "GET /cases/{case_id:int}/open-leak"))

    assert any("signed-out request got 200" in problem for problem in problems)


async def test_checker_flags_admin_route_without_guard(database_url: str, guard_world: GuardWorld) -> None:
    @get("/admin/unguarded", sync_to_thread=False)
    def unguarded() -> dict[str, str]:
        return {"status": "ok"}

    app = extended_app(database_url, unguarded)

    problems = await find_problems(app, guard_world, entry_for(app, "GET /admin/unguarded"))

    assert "GET /admin/unguarded: routes under /admin need the requires_admin guard" in problems


async def test_checker_passes_scoped_case_route(database_url: str, guard_world: GuardWorld) -> None:
    app = web_app(database_url)

    problems = await find_problems(app, guard_world, entry_for(app, "GET /cases/{case_id:int}"))

    assert problems == []
