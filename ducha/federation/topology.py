"""A three-level federation on one machine: a province nats-server with its own JetStream domain that
listens for leaf nodes, a city nats-server joined to it as a leaf node (and listening for its own), and
a county nats-server joined to the city's. Real leaf-node links, on loopback ports chosen once, so a
server stopped and started again comes back at the same address and its leaf links re-form by themselves.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ducha.embedded_nats import STOP_TIMEOUT, _spawn, _wait_for_jetstream, server_binary
from ducha.keys import NodeKey


def free_port() -> int:
    """A loopback port nobody listens on now (bind to 0, then release it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LevelServer:
    """One level's nats-server: its JetStream domain, client port, leaf-node port and its parent's leaf port."""

    node: str
    domain: str
    store_dir: Path
    port: int = field(default_factory=free_port)
    leaf_port: int | None = None
    parent_leaf_port: int | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def config(self) -> str:
        q = json.dumps
        lines = [
            f"server_name: {q(self.domain)}",
            f'listen: "127.0.0.1:{self.port}"',
            f"log_file: {q(str(self.store_dir / 'nats-server.log'))}",
            f"jetstream {{ store_dir: {q(str(self.store_dir))}, domain: {q(self.domain)}, sync_interval: always }}",
            "leafnodes {",
        ]
        if self.leaf_port is not None:
            lines.append(f'  listen: "127.0.0.1:{self.leaf_port}"')
        if self.parent_leaf_port is not None:
            lines.append(f'  remotes: [ {{ url: "nats-leaf://127.0.0.1:{self.parent_leaf_port}" }} ]')
            lines.append("  reconnect: 1")  # seconds between attempts to rejoin the parent
        lines += ["}", ""]
        return "\n".join(lines)

    def start(self) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        conf = self.store_dir / "nats-server.conf"
        conf.write_text(self.config())
        self._process, _ = _spawn([str(server_binary()), "-c", str(conf)], self.store_dir / "nats-server.out")
        _wait_for_jetstream_retrying(self.url)

    def stop(self) -> None:
        """Stops this server (our own child process, by its PID)."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def _wait_for_jetstream_retrying(url: str, attempts: int = 100) -> None:
    import time

    for _ in range(attempts):
        try:
            _wait_for_jetstream(url)
            return
        except Exception:  # not listening yet
            time.sleep(0.1)
    _wait_for_jetstream(url)


LEVELS = (("220000", "province"), ("220100", "city-220100"), ("220102", "county-220102"))


@dataclass
class Federation3:
    """The province, city and county servers, their nodes' data directories and the shared trust store."""

    root: Path
    servers: dict[str, LevelServer] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parent_leaf: int | None = None
        for index, (node, domain) in enumerate(LEVELS):
            leaf = free_port() if index < len(LEVELS) - 1 else None
            self.servers[node] = LevelServer(node, domain, self.root / "nats" / domain, leaf_port=leaf, parent_leaf_port=parent_leaf)
            parent_leaf = leaf

    def data_dir(self, node: str) -> Path:
        return self.root / "nodes" / node

    def child_nodes(self, node: str) -> list[str]:
        codes = [code for code, _ in LEVELS]
        index = codes.index(node)
        return codes[index + 1 : index + 2]

    def write_trust_store(self) -> Path:
        """Each node's key made (or kept) in its data directory; their public halves in one trust store."""
        keys = {node: NodeKey.load_or_create(self.data_dir(node)).public_b64 for node, _ in LEVELS}
        path = self.root / "trust-store.json"
        path.write_text(json.dumps(keys, indent=2))
        return path

    def start(self) -> None:
        for server in self.servers.values():
            server.start()

    def stop(self) -> None:
        for server in reversed(list(self.servers.values())):
            server.stop()
