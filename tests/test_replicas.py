"""Replicas of every service (uvicorn workers, containers) start together on one PostgreSQL database."""

import asyncio

from sqlalchemy import func, select

from services.launcher.system import SystemSecrets, build_system
from services.registry.forms.service import shipped_definitions
from services.registry.models import RegistryParameter, SurveyForm
from services.registry.parameters.service import shipped

REPLICAS = 3


async def test_replicas_starting_together_on_a_new_database_all_start(pg_urls: dict[str, str]) -> None:
    # Each start-up adds the shipped rows it does not find (parameters, forms, policies, programmes…);
    # started together, replicas used to add the same row and the loser failed to start.
    secrets = SystemSecrets.generate()
    replicas = [
        build_system(pg_urls, secrets, bank_url="http://127.0.0.1:9", run_background_tasks=False)
        for _ in range(REPLICAS)
    ]
    up = [asyncio.Event() for _ in replicas]
    stop = asyncio.Event()

    async def run(index: int) -> None:
        async with replicas[index].running():
            up[index].set()
            await stop.wait()

    runs = [asyncio.create_task(run(index)) for index in range(REPLICAS)]
    all_up = asyncio.create_task(asyncio.wait([asyncio.create_task(event.wait()) for event in up]))
    await asyncio.wait([all_up, *runs], timeout=60, return_when=asyncio.FIRST_COMPLETED)
    try:
        for task in runs:
            if task.done():
                task.result()  # a replica that failed to start raises here
        assert all(event.is_set() for event in up), "not every replica started within 60 s"
        async with replicas[0].apps["registry"].state.database.sessionmaker() as session:
            parameters = await session.scalar(select(func.count()).select_from(RegistryParameter))
            forms = await session.scalar(select(func.count()).select_from(SurveyForm))
    finally:
        stop.set()
        await asyncio.gather(*runs, return_exceptions=True)
        all_up.cancel()
    assert parameters == len(shipped())
    assert forms == len(shipped_definitions())
