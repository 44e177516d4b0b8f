"""docker-compose.yml describes the separate deployment (no Docker engine here, so check its structure)."""

import importlib
from pathlib import Path
from typing import Any

import yaml

COMPOSE = Path(__file__).resolve().parents[1] / "docker-compose.yml"
APPS = ("gateway", "registry", "eligibility", "subsidy")


def load() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services


def test_compose_has_postgres_a_migration_job_and_four_services() -> None:
    services = load()
    assert set(services) == {"postgres", *APPS, "migrate"}
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["command"][-1] == "prepare"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_only_the_gateway_is_published() -> None:
    services = load()
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"gateway"}


def test_every_service_waits_for_migrations_and_has_its_own_database_url() -> None:
    services = load()
    for name in APPS:
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert f"{name.upper()}_DATABASE_URL" in service["environment"]
        assert service["environment"][f"{name.upper()}_DATABASE_URL"].startswith("postgresql+asyncpg://")


def test_service_commands_name_real_app_factories() -> None:
    services = load()
    for name in APPS:
        command = services[name]["command"]
        module_name, factory = command[command.index("--factory") + 1].split(":")
        assert callable(getattr(importlib.import_module(module_name), factory))
