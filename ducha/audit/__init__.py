"""Audit (审计): the node's history hash-chained, Merkle-tree'd and checkpointed with its signature.

docs/audit.md specifies the encoding, the chain, the tree, the checkpoints and the export
precisely enough to write an independent verifier.
"""

from ducha.audit.chain import Auditor
from ducha.audit.checkpoints import AuditStore, Checkpoint
from ducha.audit.export import export
from ducha.audit.offline import prove_consistency, verify_export
from ducha.audit.report import Fault, FaultKind, VerifyReport

__all__ = ["AuditStore", "Auditor", "Checkpoint", "Fault", "FaultKind", "VerifyReport", "export",
           "prove_consistency", "verify_export"]
