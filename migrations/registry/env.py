"""Alembic environment of the registry schema."""

from services.kit.migrations import run_environment
from services.registry.models import Base

run_environment("registry", Base.metadata)
