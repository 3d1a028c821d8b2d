"""The one function that changes a status: checks the table, applies it exactly once, audits, notifies."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import update

from marketplace import policies
from marketplace.extensions import db
from marketplace.models import User
from marketplace.services import audit


class TransitionNotAllowed(Exception):
    """Not from this state, not by this person, or a requirement is missing. `code` says which."""

    def __init__(self, code: str, transition: str = ""):
        super().__init__(f"{transition}: {code}")
        self.code = code
        self.transition = transition


class TransitionConflict(TransitionNotAllowed):
    """Someone else changed the record first; nothing was applied."""

    def __init__(self, transition: str = ""):
        super().__init__("conflict", transition)


# Who may apply a transition, resolved through the policies.
ACTORS: dict[str, Callable[[User, object], bool]] = {
    "owner": policies.can_edit,
    "moderator": policies.can_moderate,
    "facilitator": policies.can_facilitate,
    "buyer": policies.is_buyer,
    "allocated_producer": policies.can_answer_inquiry,
    "import": policies.is_inventory_import,  # the city's inventory import (services/imports.py)
}


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    who: frozenset[str]
    requires_reason: bool = False
    guard: Callable[[object, User], str | None] | None = None  # returns an error code, or None


@dataclass
class Workflow:
    name: str
    transitions: dict[str, Transition]
    hooks: dict[str, list[Callable]] = field(default_factory=lambda: defaultdict(list))

    def on(self, *names: str):
        """Register a function to run after these transitions (notifications, reindexing)."""
        def register(fn):
            for name in names:
                self.hooks[name].append(fn)
            return fn
        return register

    def check(self, name: str, obj, actor: User | None, reason: str = "") -> Transition:
        transition = self.transitions.get(name)
        if transition is None:
            raise TransitionNotAllowed("unknown", name)
        if str(obj.status) not in transition.sources:
            raise TransitionNotAllowed("state", name)
        if actor is None or not any(ACTORS[who](actor, obj) for who in transition.who):
            raise TransitionNotAllowed("actor", name)
        if transition.requires_reason and not (reason or "").strip():
            raise TransitionNotAllowed("reason_required", name)
        if transition.guard and (problem := transition.guard(obj, actor)):
            raise TransitionNotAllowed(problem, name)
        return transition

    def allowed(self, name: str, obj, actor: User | None) -> bool:
        """For buttons: could this person apply it now (a reason is asked for in the form)?"""
        try:
            self.check(name, obj, actor, reason="-")
        except TransitionNotAllowed:
            return False
        return True

    def apply(self, name: str, obj, actor: User, reason: str = "") -> Transition:
        transition = self.check(name, obj, actor, reason)
        source = str(obj.status)
        model = type(obj)
        # Conditional update: of two people acting at once, exactly one moves the record.
        result = db.session.execute(
            update(model)
            .where(model.id == obj.id, model.status == source)
            .values(status=transition.target)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise TransitionConflict(name)
        db.session.refresh(obj, ["status"])
        audit.record(
            f"{self.name}.{name}", obj, actor=actor, from_status=source, to_status=transition.target,
            note=reason or "", producer_id=policies.producer_id_of(obj),
        )
        for hook in self.hooks.get(name, []):
            hook(obj, actor, reason)
        return transition
