"""Admin actions that span domains: creating users from a form, client settings and queue weights."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.services import (
    add_user,
    change_user_access,
    check_email,
    check_email_free,
    check_password,
    check_role,
    generate_password,
)
from hub.admin.forms import FieldErrors, parse_weight
from hub.cases.models import Case, CaseStatus
from hub.cases.priority import refresh_priorities
from hub.clients.models import Client
from hub.clients.services import (
    add_client,
    check_client_name,
    check_currency,
    check_language,
    check_priority_weight,
    check_priority_weights,
    check_slug,
    check_slug_free,
    check_timezone,
    get_clients_by_slugs,
    update_client,
)
from hub.errors import ConflictError, ValidationError

# Stricter than the CLI's minimum: a password typed into the admin screen is chosen by a person.
MIN_ADMIN_PASSWORD_LENGTH = 12
MAX_DISPLAY_NAME_LENGTH = 120
WEIGHT_FIELDS = ("weight_risk", "weight_exposure", "weight_urgency")


@dataclass(frozen=True)
class ClientRow:
    client: Client
    open_cases: int


@dataclass(frozen=True)
class CreatedUser:
    user: User
    # Set only when the hub generated the password, so the page can show it once.
    generated_password: str | None


async def list_all_clients(session: AsyncSession) -> list[Client]:
    return list((await session.scalars(select(Client).order_by(Client.name))).all())


async def list_client_rows(session: AsyncSession) -> list[ClientRow]:
    """Return every client ordered by name with its number of open cases."""
    open_case = and_(Case.client_id == Client.id, Case.status == CaseStatus.OPEN)
    query = select(Client, func.count(Case.id)).outerjoin(Case, open_case).group_by(Client.id).order_by(Client.name)
    rows = (await session.execute(query)).all()
    return [ClientRow(client, count) for client, count in rows]


def check_display_name(name: str) -> str:
    if len(name) > MAX_DISPLAY_NAME_LENGTH:
        raise ValidationError(f"name too long ({len(name)} characters): use at most {MAX_DISPLAY_NAME_LENGTH}")
    return name


async def validate_new_user(session: AsyncSession, values: dict[str, str], client_slugs: list[str]) -> None:
    """Raise ValidationError with a message per invalid field of the new-user form."""
    errors = FieldErrors()
    email = errors.check("email", check_email, values["email"])
    if email is not None:
        await errors.check_async("email", check_email_free(session, email))
    errors.check("name", check_display_name, values["name"])
    errors.check("role", check_role, values["role"])
    await errors.check_async("clients", get_clients_by_slugs(session, client_slugs))
    if values["password"]:
        errors.check("password", check_password, values["password"], MIN_ADMIN_PASSWORD_LENGTH)
    errors.raise_if_any()


async def create_user(session: AsyncSession, values: dict[str, str], client_slugs: list[str]) -> CreatedUser:
    """Create a user from the admin form. An empty password field makes the hub generate one."""
    await validate_new_user(session, values, client_slugs)
    generated = None if values["password"] else generate_password()
    password = values["password"] or generated or ""

    try:
        user = await add_user(
            session, values["email"], values["role"], password, client_slugs=tuple(client_slugs), name=values["name"]
        )
    except ConflictError as error:
        raise ValidationError(str(error), {"email": str(error)}) from None
    return CreatedUser(user, generated)


async def change_access(session: AsyncSession, user: User, role: str, client_slugs: list[str]) -> User:
    """Set role and clients from the user form. Raise ConflictError when that would leave no active admin."""
    errors = FieldErrors()
    errors.check("role", check_role, role)
    clients = await errors.check_async("clients", get_clients_by_slugs(session, client_slugs))
    errors.raise_if_any()

    return await change_user_access(session, user, role, clients or [])


async def validate_new_client(session: AsyncSession, values: dict[str, str]) -> None:
    errors = FieldErrors()
    slug = errors.check("slug", check_slug, values["slug"])
    if slug is not None:
        await errors.check_async("slug", check_slug_free(session, slug))
    errors.check("name", check_client_name, values["name"])
    errors.check("currency", check_currency, values["currency"])
    errors.check("timezone", check_timezone, values["timezone"])
    errors.check("language", check_language, values["language"])
    errors.raise_if_any()


async def create_client(session: AsyncSession, values: dict[str, str]) -> Client:
    """Create a client from the admin form with the same rules as ``hub client add``."""
    await validate_new_client(session, values)

    return await add_client(
        session,
        values["slug"],
        check_client_name(values["name"]),
        currency=values["currency"],
        timezone=values["timezone"],
        language=values["language"],
    )


async def change_client_details(session: AsyncSession, client: Client, values: dict[str, str]) -> Client:
    """Set name, time zone and language. A new time zone can move "today", so priorities are refreshed."""
    errors = FieldErrors()
    errors.check("name", check_client_name, values["name"])
    errors.check("timezone", check_timezone, values["timezone"])
    errors.check("language", check_language, values["language"])
    errors.raise_if_any()
    timezone_changed = values["timezone"] != client.timezone

    await update_client(session, client, name=values["name"], timezone=values["timezone"], language=values["language"])
    if timezone_changed:
        await refresh_priorities(session, client)
    return client


def read_weight(raw: str) -> float:
    return check_priority_weight(parse_weight(raw))


async def change_priority_weights(session: AsyncSession, client: Client, values: dict[str, str]) -> Client:
    """Set the client's queue weights from form values and recompute every case's priority at once."""
    errors = FieldErrors()
    parsed = [errors.check(field, read_weight, values[field]) for field in WEIGHT_FIELDS]
    errors.raise_if_any()
    risk, exposure, urgency = (weight or 0.0 for weight in parsed)
    check_priority_weights(risk, exposure, urgency)

    client.weight_risk, client.weight_exposure, client.weight_urgency = risk, exposure, urgency
    await refresh_priorities(session, client)
    return client
