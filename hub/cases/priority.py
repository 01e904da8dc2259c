from sqlalchemy.ext.asyncio import AsyncSession

from hub.clients.models import Client


async def refresh_priorities(session: AsyncSession, client: Client) -> None:
    raise NotImplementedError
