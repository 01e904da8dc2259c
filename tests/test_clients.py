from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cli import main
from hub.clients.models import Client


def test_client_add_creates_client(hub_env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["client", "add", "ibm", "--name", "IBM sample", "--currency", "usd"])

    assert result.exit_code == 0, result.output
    assert "client ibm added (USD, UTC)" in result.output


def test_client_add_rejects_duplicate_slug(hub_env: dict[str, str]) -> None:
    runner = CliRunner()
    runner.invoke(main, ["client", "add", "ibm", "--name", "IBM sample"])

    result = runner.invoke(main, ["client", "add", "ibm", "--name", "Other"])

    assert result.exit_code == 1
    assert "client 'ibm' already exists" in result.output


def test_client_add_names_invalid_values(hub_env: dict[str, str]) -> None:
    runner = CliRunner()
    cases = [
        (["Bad Slug", "--name", "x"], "invalid client slug 'Bad Slug'"),
        (["acme", "--name", "x", "--currency", "XYZ"], "unknown currency 'XYZ'"),
        (["acme", "--name", "x", "--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        (["acme", "--name", "x", "--language", "zz-99"], "unknown language 'zz-99'"),
    ]
    for arguments, message in cases:
        result = runner.invoke(main, ["client", "add", *arguments])
        assert result.exit_code == 1, arguments
        assert message in result.output, result.output


async def test_client_table_starts_empty(session: AsyncSession) -> None:
    assert (await session.scalars(select(Client))).all() == []
