"""How the API's routers are made: one route class, one naming of operations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

from services.api.http.transactions import TransactionalRoute


def operation_id(route: APIRoute) -> str:
    """Stable operation ids: the route function's name."""
    return route.name


def api_router(**kwargs: Any) -> APIRouter:
    """A router of the API: each request in one transaction, operations named by function."""
    return APIRouter(
        route_class=TransactionalRoute, generate_unique_id_function=operation_id, **kwargs
    )
