"""Alembic environment of the gateway schema."""

from services.gateway.models import Base
from services.kit.migrations import run_environment

run_environment("gateway", Base.metadata)
