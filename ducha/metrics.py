"""Prometheus metrics of a node, served at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

COMMANDS = Counter("ducha_commands_total", "Commands handled, by command and outcome.", ["command", "outcome"])
REFUSED = Counter(
    "ducha_requests_refused_total",
    "Requests the authorization policy refused before any command or query ran, by route name and outcome "
    "(unauthenticated, act-not-allowed, not-found: out of sight or absent).",
    ["route", "outcome"],
)
COMMAND_SECONDS = Histogram("ducha_command_seconds", "Time from a command's arrival to its commit.", ["command"])
EVENTS_PUBLISHED = Counter("ducha_events_published_total", "Events the relay published to JetStream.")
RELAY_POSITION = Gauge("ducha_relay_position", "The last position the relay saw acknowledged by the stream.")
STORE_POSITION = Gauge("ducha_store_position", "The last position in the node's event store.")
PROJECTION_POSITION = Gauge("ducha_projection_position", "The last position a projection applied.", ["projection"])
PROJECTION_LAG = Gauge("ducha_projection_lag_events", "Events recorded but not yet applied, by projection.", ["projection"])
PROJECTION_APPLIED = Counter("ducha_projection_applied_total", "Events applied, by projection.", ["projection"])
DEAD_LETTERS = Counter("ducha_dead_letters_total", "Messages a projection could not apply, by projection.", ["projection"])
STORE_WRITE_ERRORS = Counter(
    "ducha_store_write_errors_total",
    "Commits the event store refused, by kind (full: disk or quota, read-only, other).",
    ["kind"],
)
NATS_RESTARTS = Counter("ducha_nats_restarts_total", "Times the embedded nats-server died and was started again.")
NATS_CONNECTED = Gauge("ducha_nats_connected", "1 while the node's NATS connection is up, 0 while it is down.")
RELAY_STRAYS = Counter(
    "ducha_relay_strays_total", "Messages on the node's event subjects that the relay did not publish (strays)."
)
