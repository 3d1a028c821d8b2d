"""Status machines: each a table of named transitions, applied by one engine function."""
from marketplace.workflows.engine import TransitionConflict, TransitionNotAllowed
from marketplace.workflows.publication import publication, revision

__all__ = ["publication", "revision", "TransitionNotAllowed", "TransitionConflict"]
