"""Offline verification of an export, and the proof that a later export extends an earlier one.

Needs nothing but the export directories: the node's public key is in them, and every
hash is recomputed from the exported events (docs/audit.md is the specification).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

from ducha.audit import canonical
from ducha.audit.checkpoints import Checkpoint
from ducha.audit.merkle import verify_consistency, verify_inclusion
from ducha.audit.report import FaultKind, VerifyReport
from ducha.audit.verify import Recomputed, _Peek


class Export:
    """An export directory, read lazily."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.manifest = json.loads((self.directory / "manifest.json").read_text())
        self.node: str = self.manifest["node"]
        self.public = base64.b64decode((self.directory / "public_key.b64").read_text().strip())
        self.final = Checkpoint.from_json(self.node, self.manifest["checkpoint"])

    def lines(self, name: str) -> Iterator[dict[str, Any]]:
        path = self.directory / name
        if path.exists():
            with open(path) as lines:
                for line in lines:
                    yield json.loads(line)

    def checkpoints(self) -> Iterator[Checkpoint]:
        return (Checkpoint.from_json(self.node, line) for line in self.lines("checkpoints.jsonl"))

    def leaf(self, line: dict[str, Any]) -> bytes:
        state = line["state"].encode() if "state" in line else base64.b64decode(line["state_b64"])
        encoded = canonical.encode_event(self.node, int(line["position"]), UUID(line["aggregate_id"]),
                                         int(line["aggregate_version"]), line["topic"], state)
        return canonical.leaf_hash(encoded)


def verify_export(directory: Path) -> VerifyReport:
    """Checks the signatures, the consistency of every checkpoint with the final one, and every event."""
    export = Export(directory)
    report = VerifyReport(source=f"export {export.directory} of node {export.node}")
    if not export.final.signed_by(export.public):
        report.bad_checkpoint(export.final.position, "its signature is not the node's")
        report.fault(export.final.position, FaultKind.BAD_SIGNATURE, "the final checkpoint is forged")
    _verify_checkpoints(export, report)
    if export.manifest["complete"]:
        _verify_complete(export, report)
    else:
        _verify_selection(export, report)
    return report


def _verify_checkpoints(export: Export, report: VerifyReport) -> None:
    proofs = export.lines("consistency.jsonl")
    for checkpoint in export.checkpoints():
        if not checkpoint.signed_by(export.public):
            report.bad_checkpoint(checkpoint.position, "its signature is not the node's")
        if 0 < checkpoint.size < export.final.size:
            proof = next(proofs, None)
            if proof is None or int(proof["from_size"]) != checkpoint.size or not verify_consistency(
                checkpoint.size, export.final.size, checkpoint.merkle_root, export.final.merkle_root,
                [bytes.fromhex(p) for p in proof["proof"]],
            ):
                report.bad_checkpoint(checkpoint.position, "the final checkpoint does not extend it")


def _verify_complete(export: Export, report: VerifyReport) -> None:
    """Every event from the first: recompute the chain and the tree, meet every checkpoint."""
    recomputed, checkpoints, previous = Recomputed(), _Peek(export.checkpoints()), 0
    for line in export.lines("events.jsonl"):
        _meet_checkpoints(report, checkpoints, recomputed, recomputed.frontier.size)
        position, index = int(line["position"]), int(line["index"])
        if index > recomputed.frontier.size:
            report.fault(position, FaultKind.REMOVED, f"events {recomputed.frontier.size}..{index - 1} are missing")
        elif index < recomputed.frontier.size:
            kind = FaultKind.REORDERED if position < previous else FaultKind.INSERTED
            report.fault(position, kind, f"index {index} comes again or out of order")
        recomputed.add(export.leaf(line))
        if line.get("sealed_chain") and recomputed.chain.hex() != line["sealed_chain"]:
            report.fault(position, FaultKind.ALTERED, "the chain departs from the sealed chain here")
        report.events += 1
        previous = position
    _meet_checkpoints(report, checkpoints, recomputed, None)


def _meet_checkpoints(report: VerifyReport, checkpoints: _Peek, recomputed: Recomputed, size: int | None) -> None:
    while (checkpoint := checkpoints.peek()) is not None and (size is None or checkpoint.size <= size):
        next(checkpoints)
        if (why := recomputed.why_not(checkpoint)) is not None:
            report.bad_checkpoint(checkpoint.position, why)
            report.fault(checkpoint.position, FaultKind.ALTERED, f"the events up to here do not match: {why}")


def _verify_selection(export: Export, report: VerifyReport) -> None:
    """Each selected event with its inclusion proof in the final checkpoint's tree."""
    final, last = export.final, -1
    proofs = export.lines("proofs.jsonl")
    for line in export.lines("events.jsonl"):
        position, index = int(line["position"]), int(line["index"])
        proof = next(proofs, None)
        report.events += 1
        if index <= last:
            report.fault(position, FaultKind.REORDERED, f"index {index} comes after {last}")
        last = index
        if proof is None or int(proof["index"]) != index or int(proof["position"]) != position:
            report.fault(position, FaultKind.BAD_PROOF, "no inclusion proof for this event")
            continue
        path = [bytes.fromhex(p) for p in proof["proof"]]
        if not verify_inclusion(index, final.size, export.leaf(line), path, final.merkle_root):
            report.fault(position, FaultKind.BAD_PROOF, "the event or its inclusion proof is not in the signed tree")
    if report.events != int(export.manifest["events"]):
        report.fault(final.position, FaultKind.REMOVED, f"{export.manifest['events']} events listed, {report.events} found")


def prove_consistency(old_directory: Path, new_directory: Path) -> VerifyReport:
    """Both exports verify, share the node and key, and the later one's tree extends the earlier's (RFC 9162)."""
    old, new = Export(old_directory), Export(new_directory)
    report = VerifyReport(source=f"consistency of {new.directory} with {old.directory}")
    for each in (verify_export(old.directory), verify_export(new.directory)):
        if not each.ok:
            report.notes.append(each.text())
            report.fault(old.final.position, FaultKind.ALTERED, f"{each.source} does not verify")
    if (old.node, old.public) != (new.node, new.public):
        report.fault(0, FaultKind.INCONSISTENT, "the exports are of different nodes or keys")
    elif not _extends(old.final, new):
        report.fault(old.final.position, FaultKind.INCONSISTENT,
                     f"the history of size {new.final.size} does not extend the one of size {old.final.size}")
    return report


def _extends(old: Checkpoint, new: Export) -> bool:
    if old.size > new.final.size:
        return False
    if old.size == new.final.size:
        return old.merkle_root == new.final.merkle_root and old.chain_head == new.final.chain_head
    for line in new.lines("consistency.jsonl"):
        if int(line["from_size"]) == old.size:
            proof = [bytes.fromhex(p) for p in line["proof"]]
            return verify_consistency(old.size, new.final.size, old.merkle_root, new.final.merkle_root, proof)
    return False
