"""The envelope: how one recorded event travels on the bus and reaches projections.

Every message on a node's stream is one envelope. It is a contract between nodes and
versions of the software, so it is versioned (`schema_version`) and never changed in place.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

ENVELOPE_SCHEMA_VERSION = 1


class Envelope(BaseModel):
    """One event of a node's history, at its position in the node's notification log."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = ENVELOPE_SCHEMA_VERSION
    node: str
    position: int
    aggregate_type: str
    aggregate_id: UUID
    aggregate_version: int
    type: str
    topic: str
    recorded_at: datetime
    occurred_on: date | None = None
    actor: dict[str, str] | None = None
    payload: dict[str, Any]

    @property
    def message_id(self) -> str:
        """The de-duplication id on the stream: one per node and position."""
        return f"{self.node}:{self.position}"

    @property
    def subject(self) -> str:
        return event_subject(self.node, self.aggregate_type, self.type)


def event_subject(node: str, aggregate_type: str, event_type: str) -> str:
    """Subjects are hierarchical so consumers filter cheaply: ducha.<node>.evt.<aggregate>.<Event>."""
    return f"ducha.{node}.evt.{aggregate_type}.{event_type}"


def stream_name(node: str) -> str:
    """One JetStream stream per node holds the node's whole history."""
    return f"DUCHA_{node}"
