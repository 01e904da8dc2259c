"""``hub debtor export`` and ``hub retention preview|apply``."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any

import click
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.cli_support import echo_json, reports_hub_errors, run_in_session
from hub.clients.models import Client
from hub.clients.services import get_client_by_slug
from hub.db import create_engine, create_session_factory
from hub.privacy.export import EXPORT_FORMATS, export_debtor
from hub.privacy.jobs import apply_retention
from hub.privacy.lookup import get_debtor_by_reference
from hub.privacy.retention import RetentionPreview, preview_retention
from hub.settings import PROJECT_ROOT, Settings
from hub.web.templating import format_day, format_money


@click.group()
def debtor() -> None:
    """Export a debtor's personal data."""


def render_export_html(export: dict[str, Any]) -> str:
    """Render the export as a standalone HTML document, with the same sections as the web page."""
    environment = Environment(
        loader=FileSystemLoader(PROJECT_ROOT / "templates"), autoescape=select_autoescape(["html"])
    )
    environment.filters["money"] = format_money
    environment.filters["day"] = format_day
    return environment.get_template("privacy/export_document.html").render(export=export)


@debtor.command("export")
@click.argument("client_slug")
@click.argument("reference")
@click.option(
    "--format", "export_format", type=click.Choice(EXPORT_FORMATS), default="json", show_default=True,
    help="JSON document or readable HTML page.",
)  # fmt: skip
@reports_hub_errors
def debtor_export(client_slug: str, reference: str, export_format: str) -> None:
    """Print everything held on the debtor with REFERENCE at CLIENT_SLUG; the export is audited."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        client = await get_client_by_slug(session, client_slug)
        found = await get_debtor_by_reference(session, client, reference)
        return await export_debtor(session, Scope.for_client(client.id), None, found.id, export_format)

    export = run_in_session(work)
    if export_format == "html":
        click.echo(render_export_html(export))
        return
    click.echo(json.dumps(export, indent=2, ensure_ascii=False))


@click.group()
def retention() -> None:
    """Retention policies: preview and apply what they remove."""


async def _clients(session: AsyncSession, slug: str | None) -> list[Client]:
    if slug is not None:
        return [await get_client_by_slug(session, slug)]
    return list((await session.scalars(select(Client).order_by(Client.slug))).all())


def preview_dict(preview: RetentionPreview) -> dict[str, Any]:
    return {
        "client": preview.client.slug,
        "enabled": preview.policy.enabled,
        "settled_case_years": preview.policy.settled_case_years,
        "unmatched_inbound_days": preview.policy.unmatched_inbound_days,
        "settled_before": preview.settled_before.isoformat(),
        "debtors_to_anonymise": len(preview.debtors),
        "debtor_ids": [candidate.debtor_id for candidate in preview.debtors],
        "unmatched_inbound_to_delete": preview.unmatched_inbound,
    }


def _echo_preview(preview: dict[str, Any]) -> None:
    state = "enabled" if preview["enabled"] else "disabled, nothing is removed until enabled"
    click.echo(f"{preview['client']}: policy {state}")
    click.echo(
        f"  {preview['debtors_to_anonymise']} settled debtors to anonymise "
        f"(last payment on or before {preview['settled_before']}, {preview['settled_case_years']} years)"
    )
    if preview["debtor_ids"]:
        click.echo(f"  debtor ids: {', '.join(str(debtor_id) for debtor_id in preview['debtor_ids'])}")
    click.echo(
        f"  {preview['unmatched_inbound_to_delete']} unmatched inbound messages to delete "
        f"(older than {preview['unmatched_inbound_days']} days)"
    )


@retention.command("preview")
@click.option("--client", "client_slug", help="Slug of the client to preview; every client when omitted.")
@click.option("--json", "as_json", is_flag=True, help="Print the preview as JSON.")
@reports_hub_errors
def retention_preview(client_slug: str | None, as_json: bool) -> None:
    """Show what each client's retention policy removes today, without changing anything."""

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        return [
            preview_dict(await preview_retention(session, client)) for client in await _clients(session, client_slug)
        ]

    previews = run_in_session(work)
    if as_json:
        echo_json(previews)
        return
    for preview in previews:
        _echo_preview(preview)


@retention.command("apply")
@click.option(
    "--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Apply as on this day (YYYY-MM-DD) instead of today."
)
@reports_hub_errors
def retention_apply(today: Any) -> None:
    """Apply every enabled retention policy now, as the daily job does."""
    day: date | None = today.date() if today else None

    async def run() -> list[dict[str, Any]]:
        engine = create_engine(Settings.from_env().database_url)
        try:
            return await apply_retention({"session_factory": create_session_factory(engine)}, today=day)
        finally:
            await engine.dispose()

    reports = asyncio.run(run())
    if not reports:
        click.echo("no client has an enabled retention policy: nothing removed")
    for report in reports:
        click.echo(
            f"{report['client']}: {report['debtors_anonymised']} debtors anonymised, "
            f"{report['inbound_deleted']} unmatched inbound messages deleted"
        )
