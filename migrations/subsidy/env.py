"""Alembic environment of the subsidy schema."""

from services.subsidy.models import Base
from services.kit.migrations import run_environment

run_environment("subsidy", Base.metadata)
