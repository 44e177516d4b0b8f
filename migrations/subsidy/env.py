"""Alembic environment of the subsidy schema."""

from services.kit.migrations import run_environment
from services.subsidy.models import Base

run_environment("subsidy", Base.metadata)
