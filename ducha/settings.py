"""Settings of a node: environment variables with the prefix DUCHA_, and a --flag for each.

The defaults are the embedded ones: a private nats-server and SQLite files under ./var.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import AwareDatetime, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class JetStreamSync(StrEnum):
    """How the embedded nats-server syncs JetStream writes to disk.

    `always` fsyncs every write before it is acknowledged. `default` lets the server
    sync every two minutes: faster, but a power loss (not a process crash) can lose the
    last two minutes of acknowledged messages on the stream; the relay then publishes the
    lost tail again from the event store, but consumers on other nodes see it late.
    """

    ALWAYS = "always"
    DEFAULT = "default"


class Environment(StrEnum):
    """Where a node runs. Only a development node lets its clock be set (DOMAIN.md "Time": in
    production nothing can move it); production is the default so that a deployment that
    forgets to say is safe."""

    PRODUCTION = "production"
    DEVELOPMENT = "development"


class Settings(BaseSettings):
    """Everything a node needs to start, with the embedded defaults."""

    model_config = SettingsConfigDict(env_prefix="DUCHA_", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Where the SQLite files, the embedded NATS store and keys live.")
    host: str = Field("127.0.0.1", description="HTTP listen address.")
    port: int = Field(8000, description="HTTP listen port.")
    node: str = Field("220000", description="The node's unit code (its level of government).")
    nats_url: str | None = Field(None, description="An external NATS server; unset = start the embedded one.")
    store_url: str | None = Field(
        None, description="postgresql://… for eventsourcing's PostgreSQL persistence; unset = SQLite in the data directory."
    )
    jetstream_sync: JetStreamSync = Field(JetStreamSync.ALWAYS, description="The embedded server's JetStream sync_interval.")
    units_file: Path | None = Field(None, description="The unit registry to load; unset = the bundled Jilin sample.")
    token_ttl_hours: int = Field(12, description="Lifetime of a token issued by `ducha token issue`.")
    max_body_bytes: int = Field(1_048_576, description="Largest request body the API accepts (413 above).")
    rate_limit: str = Field(
        "50/second;2000/minute", description="Requests per bearer token (or client address), `limits` notation; empty = off."
    )
    checkpoint_every: int = Field(1000, description="Sign an audit checkpoint after this many new events.")
    log_json: bool = Field(True, description="Structured logs as JSON lines (false: human-readable).")
    environment: Environment = Field(
        Environment.PRODUCTION, description="production or development (only the latter may set the clock)."
    )
    clock: AwareDatetime | None = Field(
        None, description="Set the node's clock to this moment, e.g. 2026-12-01T09:00:00+08:00 (development only)."
    )
    child_nodes: list[str] = Field(
        default_factory=list, description="Codes of the divisions below that run their own node (JSON list); empty = this node serves all below."
    )
    trust_store: Path | None = Field(
        None, description="JSON {node code: Ed25519 public key, base64} of the levels this node talks to; set = federated."
    )
    nats_nkey_seed: Path | None = Field(
        None, description="The node's nkey seed file (`python -m ducha.nats_auth`): every NATS connection of the node "
        "authenticates with it and replies on the node's own inbox prefix; unset = no authentication."
    )
    clock_interval: float = Field(60.0, gt=0, description="Seconds between the clock's ticks (overdue, urging).")

    @model_validator(mode="after")
    def _clock_only_in_development(self) -> Settings:
        if self.clock is not None and self.environment is not Environment.DEVELOPMENT:
            raise ValueError(
                f"DUCHA_CLOCK is set ({self.clock.isoformat()}) but a {self.environment.value} node's clock cannot be "
                "moved; set DUCHA_ENVIRONMENT=development to run with a set clock"
            )
        return self

    @property
    def uses_postgres(self) -> bool:
        return bool(self.store_url and self.store_url.startswith(("postgresql://", "postgres://")))
