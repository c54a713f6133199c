"""ducha (督查): the composition root and the runtime of one node.

`domain/`, `projections/`, `handlers/` and `api/` hold the parts; this package wires them
(settings, the event store, the embedded nats-server, the CLI).
"""
