"""The app's lifespan: it starts a node that nobody started, and leaves alone one that was."""

from __future__ import annotations

from api.app import create_app
from ducha.bootstrap import bootstrap


async def test_lifespan_starts_and_stops_a_node_not_yet_started(settings, clock, registry):
    node = bootstrap(settings, clock=clock, registry=registry)
    app = create_app(node)

    async with app.router.lifespan_context(app):
        assert node.nc is not None and node.nc.is_connected

    assert node.nc is None


async def test_lifespan_leaves_a_started_node_running(node):
    app = create_app(node)

    async with app.router.lifespan_context(app):
        pass

    assert node.nc is not None and node.nc.is_connected
