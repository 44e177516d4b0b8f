"""Alembic environment of the registry schema."""

from services.registry.models import Base
from services.kit.migrations import run_environment

run_environment("registry", Base.metadata)
