"""Projections: read models folded from the node's events, each with its tracking and a digest."""

from projections.base import apply_batch, digest, rebuild
from projections.store import ViewStore

__all__ = ["ViewStore", "apply_batch", "digest", "rebuild"]
