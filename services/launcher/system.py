"""The four apps wired together in one process, over in-process HTTP (httpx ASGI transport)."""

import base64
import json
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from fastapi import FastAPI

from services.eligibility.app import create_app as create_eligibility
from services.eligibility.config import EligibilitySettings
from services.gateway.app import create_app as create_gateway
from services.gateway.bootstrap import service_client_id
from services.gateway.config import GatewaySettings
from services.kit.http import ServiceLinks
from services.kit.migrations import SERVICES, upgrade
from services.registry.app import create_app as create_registry
from services.registry.config import RegistrySettings
from services.subsidy.app import create_app as create_subsidy
from services.subsidy.config import SubsidySettings


@dataclass(frozen=True)
class SystemSecrets:
    """Keys and shared secrets of one installation."""

    pii_encryption_key: str
    pii_index_key: str
    bank_webhook_secret: str
    service_secrets: dict[str, str]

    @classmethod
    def generate(cls) -> "SystemSecrets":
        return cls(
            pii_encryption_key=base64.b64encode(secrets.token_bytes(32)).decode(),
            pii_index_key=base64.b64encode(secrets.token_bytes(32)).decode(),
            bank_webhook_secret=secrets.token_urlsafe(32),
            service_secrets={name: secrets.token_urlsafe(32) for name in SERVICES if name != "gateway"},
        )

    @classmethod
    def load_or_create(cls, path: Path) -> "SystemSecrets":
        """Read the installation's secrets, creating them (readable by the owner only) on first run."""
        if path.exists():
            return cls(**json.loads(path.read_text()))
        created = cls.generate()
        path.write_text(json.dumps(asdict(created), indent=2))
        os.chmod(path, 0o600)
        return created


def migrate_all(database_urls: dict[str, str]) -> None:
    for service in SERVICES:
        upgrade(service, database_urls[service])


@dataclass
class System:
    apps: dict[str, FastAPI]
    links: ServiceLinks

    @property
    def gateway(self) -> FastAPI:
        return self.apps["gateway"]

    @asynccontextmanager
    async def running(self) -> AsyncIterator["System"]:
        """Run every app's start-up (gateway first: the others need its keys) and shut down in reverse."""
        async with AsyncExitStack() as stack:
            for name in SERVICES:
                app = self.apps[name]
                await stack.enter_async_context(app.router.lifespan_context(app))
            stack.push_async_callback(self.links.aclose)
            yield self


def build_system(
    database_urls: dict[str, str],
    system_secrets: SystemSecrets,
    *,
    bank_url: str,
    run_background_tasks: bool = True,
    feed_poll_seconds: float = 0.5,
    dispatch_retry_seconds: float = 5.0,
) -> System:
    """Create the four apps against their databases, linked in-process."""
    links = ServiceLinks()
    common = {"run_background_tasks": run_background_tasks, "feed_poll_seconds": feed_poll_seconds}

    def settings_of(service: str, **values: object) -> dict[str, object]:
        credentials = (
            {
                "client_id": service_client_id(service),
                "client_secret": system_secrets.service_secrets[service],
            }
            if service != "gateway"
            else {"service_clients": system_secrets.service_secrets}
        )
        return {"database_url": database_urls[service], **common, **credentials, **values}

    apps = {
        "gateway": create_gateway(GatewaySettings.model_validate(settings_of("gateway")), links),
        "registry": create_registry(
            RegistrySettings.model_validate(
                settings_of(
                    "registry",
                    pii_encryption_key=system_secrets.pii_encryption_key,
                    pii_index_key=system_secrets.pii_index_key,
                )
            ),
            links,
        ),
        "eligibility": create_eligibility(
            EligibilitySettings.model_validate(settings_of("eligibility")), links
        ),
        "subsidy": create_subsidy(
            SubsidySettings.model_validate(
                settings_of(
                    "subsidy",
                    bank_url=bank_url,
                    bank_webhook_secret=system_secrets.bank_webhook_secret,
                    dispatch_retry_seconds=dispatch_retry_seconds,
                )
            ),
            links,
        ),
    }
    for name, app in apps.items():
        links.attach_app(name, app)
    return System(apps, links)
