"""Credentials on the bus (总线凭据): one nkey user per node (节点) and per service, each
confined to its own subjects.

A node's process may publish only its own events (`ducha.<node>.evt.>`) and its own
messages to other levels (`ducha.<node>.msg.>`), read only its own inbox
(`ducha.*.msg.<node>.>`), and reach the JetStream API only for its own streams:
`DUCHA_<node>` (its history) and `DUCHA_IN_<node>` (the federation's inbox, 收件). A node whose
server has a JetStream domain (a level joined to the others by leaf-node links) is also allowed
the same API under that domain's prefix (`$JS.<domain>.API.…`), as an auditor is for the
streams of its jurisdiction in theirs: `--domain NODE=DOMAIN`. The relay may only publish the node's events; a projector may only
consume the node's stream; an auditor (审计) may only read the messages of the streams of
its jurisdiction (管辖范围), without consumers. Every user gets replies on an inbox of its own
(`connect(inbox_prefix=...)`), so no one can read another's replies.

The generator writes, into one directory: `auth.conf` (the `accounts` block a server
`include`s), one `<user>.nk` seed per user (mode 0600: secrets, never committed) and
`users.json` (each user's public key, inbox prefix and seed file). Seeds already in the
directory are kept, so adding a node does not rotate every key:

    python -m ducha.nats_auth OUT_DIR --node 220000 --node 220100 --node 220102 \
        --domain 220000=province --domain 220100=city-220100 --domain 220102=county-220102

A node uses its seed for every connection it makes (its own, the relay's and projectors', the
federation's): `ducha serve --nats-nkey-seed PATH` (DUCHA_NATS_NKEY_SEED), replying on the node's
own inbox prefix (`connect_options`).
"""

from __future__ import annotations

import json
import os
import textwrap
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import nkeys
import typer

from domain.envelope import stream_name
from domain.units import UnitRegistry
from ducha.units import load_registry

ACCOUNT = "DUCHA"
API = "$JS.API"
JILIN_SAMPLE_NODES = ("220000", "220100", "220102")


@dataclass(frozen=True)
class BusUser:
    """One identity on the bus: the subjects it may publish and subscribe to, and its reply inbox."""

    name: str
    inbox_prefix: str
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    allow_responses: bool = False

    def permissions(self) -> dict[str, object]:
        """The user's `permissions` block in the server configuration (anything not allowed is denied)."""
        block: dict[str, object] = {"publish": {"allow": list(self.publish)}, "subscribe": {"allow": list(self.subscribe)}}
        if self.allow_responses:
            block["allow_responses"] = True  # answer a request once, on its reply subject only
        return block


def inbox_stream_name(node: str) -> str:
    """The federation's inbox stream of a node (ducha/federation/inbox.py `inbox_stream`)."""
    return f"DUCHA_IN_{node}"


def reads(node: str) -> tuple[str, ...]:
    """What reading a node's stream takes: its info and its messages, by sequence or subject.

    No consumers: within one account a consumer create is create-or-update even when the
    subject names none, so a reader allowed to create one could rewrite the node's own
    durable consumers (tried on nats-server 2.15). A reader reads message by message.
    """
    s = stream_name(node)
    return (f"{API}.STREAM.INFO.{s}", f"{API}.STREAM.MSG.GET.{s}", f"{API}.DIRECT.GET.{s}", f"{API}.DIRECT.GET.{s}.>")


def consumes(node: str, s: str | None = None) -> tuple[str, ...]:
    """Reading plus what the node's own projectors need: their consumers, pulling and acks (on the node's
    stream, or on the stream `s` of its own)."""
    s = s or stream_name(node)
    owned = (
        f"{API}.CONSUMER.CREATE.{s}", f"{API}.CONSUMER.CREATE.{s}.>", f"{API}.CONSUMER.DURABLE.CREATE.{s}.*",
        f"{API}.CONSUMER.INFO.{s}.*", f"{API}.CONSUMER.MSG.NEXT.{s}.*", f"{API}.CONSUMER.DELETE.{s}.*",
        f"{API}.CONSUMER.NAMES.{s}", f"{API}.CONSUMER.LIST.{s}", f"$JS.ACK.{s}.>",
    )
    return (reads(node) if s == stream_name(node) else ()) + owned


def keeps_stream(node: str, s: str | None = None) -> tuple[str, ...]:
    """What the relay needs to keep the node's stream (or the node's stream `s`): create it, bring its
    configuration up to date."""
    s = s or stream_name(node)
    return (f"{API}.STREAM.CREATE.{s}", f"{API}.STREAM.UPDATE.{s}", f"{API}.STREAM.INFO.{s}", f"{API}.STREAM.MSG.GET.{s}")


def reply_inbox(name: str) -> str:
    """The user's own reply inbox prefix (its permissions let it subscribe there and nowhere else like it)."""
    return "_INBOX_" + name.replace("-", "_")


_inbox = reply_inbox


def _user(name: str, publish: tuple[str, ...], subscribe: tuple[str, ...] = (), **extra: bool) -> BusUser:
    inbox = _inbox(name)
    unique = tuple(dict.fromkeys((f"{API}.INFO", *publish)))  # INFO: the account's JetStream limits only
    return BusUser(name, inbox, unique, (f"{inbox}.>", *subscribe), **extra)


def node_user(node: str) -> BusUser:
    """The node's own process (API, writer, relay, projectors, federation in one): everything of its own,
    nothing else. Its federation keeps and consumes its inbox stream."""
    own = (f"ducha.{node}.evt.>", f"ducha.{node}.msg.>")
    inbox = inbox_stream_name(node)
    api = keeps_stream(node) + consumes(node) + keeps_stream(node, inbox) + consumes(node, inbox)
    return _user(node, own + api, (f"ducha.*.msg.{node}.>",), allow_responses=True)


def relay_user(node: str) -> BusUser:
    """The relay as a service of its own: publishes the node's events, keeps its stream, reads nothing else."""
    return _user(f"{node}-relay", (f"ducha.{node}.evt.>",) + keeps_stream(node))


def projector_user(node: str) -> BusUser:
    """The projectors as a service of their own: consume the node's stream, publish nothing."""
    return _user(f"{node}-projector", consumes(node))


def auditor_user(node: str, jurisdiction: list[str]) -> BusUser:
    """An auditor of the node: reads every stream of its jurisdiction, publishes nothing, changes nothing."""
    return _user(f"auditor-{node}", tuple(subject for each in jurisdiction for subject in reads(each)))


def in_domain(subjects: tuple[str, ...], domain: str) -> tuple[str, ...]:
    """The JetStream API subjects among `subjects` as they are addressed in a JetStream domain."""
    return tuple(f"$JS.{domain}.API{subject[len(API):]}" for subject in subjects if subject.startswith(f"{API}."))


def allowing(user: BusUser, subjects: tuple[str, ...]) -> BusUser:
    """The user, also allowed to publish `subjects`."""
    return replace(user, publish=tuple(dict.fromkeys(user.publish + subjects)))


def bus_users(nodes: list[str], registry: UnitRegistry, domains: dict[str, str] | None = None) -> list[BusUser]:
    """Every user of the given nodes: the node, its relay, its projectors and its auditor. With `domains`
    ({node: the JetStream domain of its server}), the node and its services are also allowed their API under
    their node's domain, and an auditor its reads under the domain of each node of its jurisdiction."""
    domains = domains or {}
    users: list[BusUser] = []
    for node in nodes:
        jurisdiction = [other for other in nodes if registry.is_within(other, node)]
        own = [node_user(node), relay_user(node), projector_user(node)]
        if node in domains:
            own = [allowing(user, in_domain(user.publish, domains[node])) for user in own]
        auditor = auditor_user(node, jurisdiction)
        auditor = allowing(auditor, tuple(s for n in jurisdiction if n in domains for s in in_domain(reads(n), domains[n])))
        users += [*own, auditor]
    return users


def connect_options(node: str, seed: Path | None) -> dict[str, Any]:
    """What every NATS connection of the node passes (nats-py `connect`, FastStream's broker): its nkey seed and
    the reply inbox its permissions allow. Nothing without a seed (a server without authentication)."""
    return {} if seed is None else {"nkeys_seed": str(seed), "inbox_prefix": _inbox(node)}


def render(users: list[BusUser], public_keys: dict[str, str]) -> str:
    """The `accounts` block: one JetStream account, one nkey user per identity (NATS reads JSON values)."""
    entries = [
        f"# {user.name} (replies on {user.inbox_prefix})\n"
        + json.dumps({"nkey": public_keys[user.name], "permissions": user.permissions()}, indent=2)
        for user in users
    ]
    body = textwrap.indent(",\n".join(entries), " " * 6)
    return (
        "# Generated by `python -m ducha.nats_auth`: one nkey user per node and per service.\n"
        f"accounts {{\n  {ACCOUNT} {{\n    jetstream: enabled\n    users: [\n{body}\n    ]\n  }}\n}}\n"
    )


def seed_of(path: Path) -> bytes:
    """The user's seed from its file, made (and written with mode 0600) when there is none yet."""
    if path.exists():
        return path.read_bytes().strip()
    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(seed + b"\n")
    return seed


def generate(
    out_dir: Path, nodes: list[str], registry: UnitRegistry | None = None, domains: dict[str, str] | None = None
) -> list[BusUser]:
    """Writes auth.conf, one seed per user and users.json into `out_dir`; returns the users."""
    out_dir.mkdir(parents=True, exist_ok=True)
    registry = registry or load_registry()
    registry.check_known(nodes)
    users = bus_users(nodes, registry, domains)
    keys = {user.name: nkeys.from_seed(seed_of(out_dir / f"{user.name}.nk")).public_key.decode() for user in users}
    (out_dir / "auth.conf").write_text(render(users, keys))
    manifest = [asdict(user) | {"public_key": keys[user.name], "seed_file": f"{user.name}.nk"} for user in users]
    (out_dir / "users.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return users


def main(
    out_dir: Annotated[Path, typer.Argument(help="Where auth.conf, the seeds and users.json go (keep it out of git).")],
    node: Annotated[list[str] | None, typer.Option(help="A node's unit code; repeat for each node.")] = None,
    units: Annotated[Path | None, typer.Option(help="The unit registry JSON (default: the bundled Jilin sample).")] = None,
    domain: Annotated[
        list[str] | None, typer.Option(help="NODE=DOMAIN: the JetStream domain of a node's server; repeat for each.")
    ] = None,
) -> None:
    """Generates the bus credentials of the given nodes (default: the Jilin sample nodes)."""
    domains = dict(pair.split("=", 1) for pair in domain or [])
    users = generate(out_dir, list(node or JILIN_SAMPLE_NODES), load_registry(units), domains or None)
    typer.echo(f"{len(users)} users written to {out_dir / 'auth.conf'}; seeds are secrets: keep them out of git")


if __name__ == "__main__":
    typer.run(main)
