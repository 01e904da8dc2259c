from sqlalchemy.ext.asyncio import AsyncSession

from hub.clients.models import Client


async def score_cases(session: AsyncSession, client: Client) -> None:
    raise NotImplementedError
