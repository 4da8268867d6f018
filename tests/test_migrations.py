"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncConnection

from monk.kit.db import create_engine
from monk.kit.migrate import current_revision, head_revision
from monk.models import Base


def _diff(conn: AsyncConnection) -> list:
    return compare_metadata(MigrationContext.configure(conn), Base.metadata)


# SQLite cannot reflect expression indexes, so autogenerate skips ``ix_events_pending_customer``
# there (tests/events/test_claim_plan.py shows the claim using it on both databases).
@pytest.mark.filterwarnings("ignore:.*expression-based index")
async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff)
        assert diff == []
    finally:
        await engine.dispose()
