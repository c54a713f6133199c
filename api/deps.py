"""Dependencies: the node and the token verifier come from the app's state, never a global."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ducha.bootstrap import Node


async def get_node(request: Request) -> Node:
    """The node this app serves (set by `create_app`); async, so FastAPI calls it inline, not on a worker thread."""
    return request.app.state.node


NodeDep = Annotated[Node, Depends(get_node)]
