"""Wiring of the JSON API under /api/v1 and its OpenAPI document at /schema/openapi.json."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from hub.api.accounts import ROUTES as ACCOUNT_ROUTES
from hub.api.auth import provide_api_user, requires_api_token
from hub.api.cases import ROUTES as CASE_ROUTES
from hub.api.disputes import ROUTES as DISPUTE_ROUTES
from hub.api.payments import ROUTES as PAYMENT_ROUTES
from hub.api.promises import ROUTES as PROMISE_ROUTES
from hub.api.queues import ROUTES as QUEUE_ROUTES
from hub.api.token_pages import ROUTES as TOKEN_PAGE_ROUTES
from hub.web.auth import EXCLUDE_FROM_AUTH_KEY
from hub.web.security import EXCLUDE_FROM_CSRF_KEY

API_PATH = "/api/v1"
SCHEMA_PATH = "/schema"
BEARER_SECURITY_SCHEME = "BearerToken"
API_DESCRIPTION = (
    "Read cases and queues and log call outcomes. Every request carries "
    "`Authorization: Bearer <token>`; create a token on /account/tokens or with `hub token create`."
)


def create_api_router() -> Router:
    """Build the /api/v1 router: bearer tokens only, so neither the session guard nor CSRF applies."""
    return Router(
        path=API_PATH,
        route_handlers=[
            *ACCOUNT_ROUTES,
            *QUEUE_ROUTES,
            *CASE_ROUTES,
            *PROMISE_ROUTES,
            *PAYMENT_ROUTES,
            *DISPUTE_ROUTES,
        ],
        guards=[requires_api_token],
        dependencies={"current_user": Provide(provide_api_user)},
        opt={EXCLUDE_FROM_AUTH_KEY: True, EXCLUDE_FROM_CSRF_KEY: True},
        security=[{BEARER_SECURITY_SCHEME: []}],
        include_in_schema=True,
        tags=["api"],
    )


def create_api_routes() -> list[Router | HTTPRouteHandler]:
    """Return the API router and the token pages, for the app's route handlers."""
    return [create_api_router(), *TOKEN_PAGE_ROUTES]


def api_openapi_config() -> OpenAPIConfig:
    """Serve the OpenAPI document as JSON only (no UI that loads scripts from a CDN), readable signed out."""
    bearer = SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="hub_<8-character id>_<secret>",
        description="A personal API token from /account/tokens or `hub token create`.",
    )
    schema_router = Router(SCHEMA_PATH, route_handlers=[], include_in_schema=False, opt={EXCLUDE_FROM_AUTH_KEY: True})
    return OpenAPIConfig(
        title="Collections Hub API",
        version="1",
        description=API_DESCRIPTION,
        components=Components(security_schemes={BEARER_SECURITY_SCHEME: bearer}),
        render_plugins=[JsonRenderPlugin()],
        openapi_router=schema_router,
        use_handler_docstrings=True,
    )
