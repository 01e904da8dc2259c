"""Typed settings read from ``HUB_*`` and provider environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hub.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'hub.db'}"
# Used only when HUB_SECRET_KEY is unset, so a local `make run` works out of the box.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-change-me"


def normalise_database_url(url: str) -> str:
    """Return ``url`` with the async driver that the hub uses for its dialect."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ConfigurationError(
        f"HUB_DATABASE_URL={url!r} is not supported: use postgresql://... or sqlite:///path/to/file.db"
    )


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    secret_key: str = DEVELOPMENT_SECRET_KEY
    public_url: str = "http://127.0.0.1:8000"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_from_number: str | None = None
    sendgrid_api_key: str | None = field(default=None, repr=False)
    sendgrid_from_email: str | None = None
    twilio_api_base: str | None = None
    sendgrid_api_base: str | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def read(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        database_url = normalise_database_url(read("HUB_DATABASE_URL") or DEFAULT_DATABASE_URL)
        secret_key = read("HUB_SECRET_KEY") or DEVELOPMENT_SECRET_KEY
        if len(secret_key) < 16:
            raise ConfigurationError("HUB_SECRET_KEY is too short: use at least 16 characters")
        return cls(
            database_url=database_url,
            redis_url=read("HUB_REDIS_URL"),
            secret_key=secret_key,
            public_url=(read("HUB_PUBLIC_URL") or cls.public_url).rstrip("/"),
            twilio_account_sid=read("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=read("TWILIO_AUTH_TOKEN"),
            twilio_from_number=read("TWILIO_FROM_NUMBER"),
            sendgrid_api_key=read("SENDGRID_API_KEY"),
            sendgrid_from_email=read("SENDGRID_FROM_EMAIL"),
            twilio_api_base=read("HUB_TWILIO_API_BASE"),
            sendgrid_api_base=read("HUB_SENDGRID_API_BASE"),
        )
