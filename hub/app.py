"""Litestar application wiring: database, templates, static files and routes."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path

from litestar import Litestar, get
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.datastructures import State
from litestar.di import Provide
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import create_engine, create_session_factory
from hub.settings import PROJECT_ROOT, Settings

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """One session per request; handlers commit what they change."""
    async with state.session_factory() as session:
        yield session


def provide_settings(state: State) -> Settings:
    return state.settings


@get("/health", exclude_from_auth=True, sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    engine = create_engine(settings.database_url)

    async def dispose_engine() -> None:
        await engine.dispose()

    return Litestar(
        route_handlers=[health, create_static_files_router(path="/static", directories=[Path(STATIC_DIR)])],
        dependencies={
            "db_session": Provide(provide_db_session),
            "settings": Provide(provide_settings, sync_to_thread=False),
        },
        state=State({"settings": settings, "engine": engine, "session_factory": create_session_factory(engine)}),
        template_config=TemplateConfig(directory=TEMPLATES_DIR, engine=JinjaTemplateEngine),
        on_shutdown=[dispose_engine],
    )
