"""Alembic environment of the eligibility schema."""

from services.eligibility.models import Base
from services.kit.migrations import run_environment

run_environment("eligibility", Base.metadata)
