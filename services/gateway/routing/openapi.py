"""The gateway's OpenAPI: its own paths plus the public paths of every service it forwards to."""

import json
import logging
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.gateway.routing.table import service_for
from services.kit.http import ServiceLinks

logger = logging.getLogger("fupin.gateway.openapi")


def merge_service_document(document: dict[str, Any], service: str, spec: dict[str, Any]) -> None:
    """Copy a service's public paths into the gateway document, renaming clashing schemas."""
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    incoming: dict[str, Any] = spec.get("components", {}).get("schemas", {})
    renames = {
        name: f"{service.capitalize()}{name}"
        for name, schema in incoming.items()
        if name in schemas and schemas[name] != schema
    }
    text = json.dumps(spec)
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    spec = json.loads(text)
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        schemas[renames.get(name, name)] = schema
    for path, item in spec.get("paths", {}).items():
        if service_for(path) == service:
            document["paths"][path] = item
    for name, scheme in spec.get("components", {}).get("securitySchemes", {}).items():
        document["components"].setdefault("securitySchemes", {})[name] = scheme


def install_merged_openapi(app: FastAPI, links: ServiceLinks, services: tuple[str, ...]) -> None:
    """Replace app.openapi with one that fetches and merges the services' documents (cached when complete)."""

    async def build() -> dict[str, Any]:
        document = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        complete = True
        for service in services:
            try:
                response = await links.client(service).get("/openapi.json")
                response.raise_for_status()
            except httpx.HTTPError:
                logger.warning("could not fetch the %s OpenAPI document", service)
                complete = False
                continue
            merge_service_document(document, service, response.json())
        if complete:
            app.openapi_schema = document
        return document

    app.state.build_openapi = build
