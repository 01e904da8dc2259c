"""Litestar application wiring: database, sessions, templates, static files and routes."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.accounts.routes import ROUTES as ACCOUNT_ROUTES
from hub.admin.routes import ROUTES as ADMIN_ROUTES
from hub.api.errors import with_api_errors
from hub.api.routes import api_openapi_config, create_api_routes
from hub.audit.routes import ROUTES as AUDIT_ROUTES
from hub.cases.routes import ROUTES as CASE_ROUTES
from hub.db import create_engine, create_session_factory
from hub.disputes.routes import ROUTES as DISPUTE_ROUTES
from hub.interactions.routes import ROUTES as INTERACTION_ROUTES
from hub.jobs import ArqJobRunner, InProcessJobRunner, JobRunner
from hub.privacy.routes import ROUTES as PRIVACY_ROUTES
from hub.promises.routes import ROUTES as PROMISE_ROUTES
from hub.settings import PROJECT_ROOT, Settings
from hub.web.auth import (
    EXCLUDE_FROM_AUTH_KEY,
    provide_client_scope,
    provide_current_user,
    requires_session_csrf_token,
    requires_sign_in,
)
from hub.web.errors import EXCEPTION_HANDLERS
from hub.web.ids import require_row_ids
from hub.web.security import add_security_headers, csrf_config, session_config
from hub.web.templating import configure_template_engine
from workers.settings import DAILY_JOBS

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """Yield one session per request. Handlers commit what they change."""
    async with state.session_factory() as session:
        yield session


def provide_settings(state: State) -> Settings:
    return state.settings


@get("/health", exclude_from_auth=True, sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


def create_job_runner(settings: Settings, session_factory: async_sessionmaker[AsyncSession]) -> JobRunner:
    """Arq workers through Redis when HUB_REDIS_URL is set, else jobs on the app's own event loop."""
    if settings.redis_url is not None:
        return ArqJobRunner(settings.redis_url)
    runner = InProcessJobRunner({"settings": settings, "session_factory": session_factory})
    for function, hour in DAILY_JOBS:
        runner.start_daily(function, hour)
    return runner


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    engine = create_engine(settings.database_url)
    session_factory = create_session_factory(engine)
    state = State({"settings": settings, "engine": engine, "session_factory": session_factory})

    async def start_jobs() -> None:
        state.jobs = create_job_runner(settings, session_factory)

    static_router = create_static_files_router(
        path="/static", directories=[Path(STATIC_DIR)], opt={EXCLUDE_FROM_AUTH_KEY: True}
    )

    async def stop_jobs_and_engine() -> None:
        if "jobs" in state:
            await state.jobs.close()
        await engine.dispose()

    return Litestar(
        # One line per area; every handler here is behind requires_sign_in unless it opts out.
        route_handlers=[
            health,
            static_router,
            *ACCOUNT_ROUTES,
            *CASE_ROUTES,
            *INTERACTION_ROUTES,
            *DISPUTE_ROUTES,
            *PROMISE_ROUTES,
            *ADMIN_ROUTES,
            *AUDIT_ROUTES,
            *PRIVACY_ROUTES,
            *create_api_routes(),
        ],
        dependencies={
            "db_session": Provide(provide_db_session),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "current_user": Provide(provide_current_user),
            "client_scope": Provide(provide_client_scope),
        },
        guards=[requires_sign_in, requires_session_csrf_token, require_row_ids],
        middleware=[session_config(settings).middleware],
        # A before-send hook also runs for 404s of unknown paths, which route middleware does not receive.
        before_send=[add_security_headers],
        csrf_config=csrf_config(settings),
        exception_handlers=with_api_errors(EXCEPTION_HANDLERS),
        openapi_config=api_openapi_config(),
        include_in_schema=False,
        state=state,
        template_config=TemplateConfig(
            directory=TEMPLATES_DIR, engine=JinjaTemplateEngine, engine_callback=configure_template_engine
        ),
        on_startup=[start_jobs],
        on_shutdown=[stop_jobs_and_engine],
    )
