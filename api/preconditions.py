"""Optimistic concurrency over HTTP: the version travels as an ETag; If-Match asks for it.

A case's ETag is its version in quotes (`"3"`). A command sent with `If-Match: "3"` runs
only if the case is still at version 3 (else 409 version-conflict); `If-Match: *` or no
If-Match runs on whatever version is present.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header

from api.problems import ProblemError

_STRONG_ETAG = re.compile(r'^"(\d+)"$')


def etag(version: int) -> str:
    return f'"{version}"'


async def expected_version(
    if_match: Annotated[
        str | None, Header(description='The version the command expects, as the case\'s ETag: "3".')
    ] = None,
) -> int | None:
    """The version an If-Match header asks for; 400 problem when the header is malformed."""
    if if_match is None or if_match.strip() == "*":
        return None
    found = _STRONG_ETAG.match(if_match.strip())
    if found is None:
        raise ProblemError(
            "invalid-if-match",
            "If-Match is malformed",
            400,
            f'If-Match must be one strong ETag such as "3" (got {if_match!r})',
        )
    return int(found.group(1))
