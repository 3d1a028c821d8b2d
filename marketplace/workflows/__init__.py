"""Status machines: each a table of named transitions, applied by one engine function."""
from marketplace.workflows.engine import Change, TransitionConflict, TransitionNotAllowed, workflow_for
from marketplace.workflows.inquiry import allocation, inquiry
from marketplace.workflows.publication import publication, revision

__all__ = ["publication", "revision", "inquiry", "allocation", "workflow_for", "Change", "TransitionNotAllowed",
           "TransitionConflict", "available_actions"]


def available_actions(obj, actor=None) -> list[str]:
    """The transitions `actor` (the signed-in user when None) may apply to this record now: what templates ask
    instead of comparing status strings."""
    if actor is None:
        from flask_login import current_user

        actor = current_user
    workflow = workflow_for(obj)
    return workflow.available(obj, actor) if workflow is not None and obj is not None else []
