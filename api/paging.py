"""Paging of the list routes: `limit` (capped) and `offset` from the query string, the same on every list."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Query

T = TypeVar("T")

MAX_PAGE = 200
MAX_OFFSET = 2**31 - 1  # the store's integers are 64-bit; no list is that long

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Items per page, at most {MAX_PAGE}.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")]


def page_of(items: list[T], limit: int, offset: int, *, key: str) -> dict[str, Any]:
    """A page of a list filtered in memory: its items under `key`, the total of the list, and the bounds."""
    return {key: items[offset:offset + limit], "total": len(items), "limit": limit, "offset": offset}
