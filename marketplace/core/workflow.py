"""The one writer of every status: checks the table, applies a transition exactly once, audits, runs what
the transition declares (notifications, reindexing).

Nothing outside this module assigns `.status` (tests/core/test_status_writer.py scans for it).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import inspect, update

from marketplace.core import policies
from marketplace.extensions import db
from marketplace.models import User
from marketplace.accounts import audit


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
    "import": policies.is_inventory_import,  # the city's inventory import (city/importer.py)
}


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    who: frozenset[str]
    requires_reason: bool = False
    guard: Callable[[object, User], str | None] | None = None  # returns an error code, or None
    # What follows the move, by name, in this order (each name is registered with `Workflow.effect`).
    effects: tuple[str, ...] = ()
    # A condition on the row checked by the same UPDATE that moves it (e.g. "nobody holds it yet"):
    # a function of the model class returning a SQL expression.
    where: Callable[[type], object] | None = None


@dataclass(frozen=True)
class Change:
    """What hooks and effects receive: which transition moved which record, from where to where, by whom."""

    workflow: str
    name: str
    source: str
    target: str
    obj: object
    actor: object
    reason: str = ""


def rows(*table: tuple) -> dict[str, Transition]:
    """A workflow table written as rows: (name, from, to, who[, options])."""
    transitions = {}
    for name, sources, target, who, *extra in table:
        options = extra[0] if extra else {}
        transitions[name] = Transition(name, frozenset(map(str, sources)), str(target), frozenset(who), **options)
    return transitions


@dataclass
class Workflow:
    name: str
    transitions: dict[str, Transition]
    model: type | None = None  # the records this table moves (templates find the workflow of an object by it)
    initial: str | None = None  # the status a new record is born in
    birth_effects: tuple[str, ...] = ()  # what follows `create`, like a transition's `effects`
    hooks: dict[str, list[Callable[[Change], None]]] = field(default_factory=lambda: defaultdict(list))
    effects: dict[str, Callable[[Change], None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.model is not None:
            REGISTRY.append(self)

    # ------------------------------------------------------------ declaring

    def on(self, *names: str):
        """Register a function to run after these transitions; it receives the `Change`."""
        def register(fn):
            for name in names:
                if name not in self.transitions:
                    raise KeyError(f"{self.name} has no transition {name!r}")
                self.hooks[name].append(fn)
            return fn
        return register

    def effect(self, name: str):
        """Register the function behind an effect that transitions declare in `effects`."""
        def register(fn):
            self.effects[name] = fn
            return fn
        return register

    def declaring(self, effect: str) -> list[str]:
        return [t.name for t in self.transitions.values() if effect in t.effects]

    @property
    def statuses(self) -> set[str]:
        found = {self.initial} if self.initial else set()
        for transition in self.transitions.values():
            found |= transition.sources | {transition.target}
        return found

    # ------------------------------------------------------------ asking

    def check(self, name: str, obj, actor: User | None, reason: str = "", guards: bool = True) -> Transition:
        transition = self.transitions.get(name)
        if transition is None:
            raise TransitionNotAllowed("unknown", name)
        if str(obj.status) not in transition.sources:
            raise TransitionNotAllowed("state", name)
        if actor is None or not any(ACTORS[who](actor, obj) for who in transition.who):
            raise TransitionNotAllowed("actor", name)
        if transition.requires_reason and not (reason or "").strip():
            raise TransitionNotAllowed("reason_required", name)
        if guards and transition.guard and (problem := transition.guard(obj, actor)):
            raise TransitionNotAllowed(problem, name)
        return transition

    def allowed(self, name: str, obj, actor: User | None, guards: bool = True) -> bool:
        """For buttons: could this person apply it now (a reason is asked for in the form)? `guards=False`
        leaves out the requirements a refusal explains (e.g. an unconfirmed e-mail address)."""
        try:
            self.check(name, obj, actor, reason="-", guards=guards)
        except TransitionNotAllowed:
            return False
        return True

    def available(self, obj, actor: User | None) -> list[str]:
        """The transitions this person may apply to this record now, in table order."""
        return [name for name in self.transitions if self.allowed(name, obj, actor)]

    # ------------------------------------------------------------ acting

    def apply(self, name: str, obj, actor: User, reason: str = "", *, values: dict | None = None) -> Transition:
        """Move `obj` by the named transition. `values` are other columns written by the same UPDATE, so they
        change together with the status or not at all (e.g. who claimed an inquiry, what a producer offered)."""
        transition = self.check(name, obj, actor, reason)
        source = str(obj.status)
        model = type(obj)
        values = dict(values or {})
        condition = [model.id == obj.id, model.status == source]
        if transition.where is not None:
            condition.append(transition.where(model))
        # Conditional update: of two people acting at once, exactly one moves the record.
        result = db.session.execute(
            update(model).where(*condition).values(status=transition.target, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise TransitionConflict(name)
        _reload(obj, ["status", *values])
        audit.record(
            f"{self.name}.{name}", obj, actor=actor, from_status=source,
            to_status=transition.target, note=reason or "", producer_id=policies.producer_id_of(obj),
        )
        change = Change(self.name, name, source, transition.target, obj, actor, reason or "")
        for effect in transition.effects:
            self.effects[effect](change)
        for hook in self.hooks.get(name, []):
            hook(change)
        return transition

    def create(self, obj, actor, attach: Callable[[object], None] | None = None):
        """A new record, born in the table's initial status: added (by `attach`, e.g. appending it to its
        parent, or to the session), flushed, audited as "<workflow>.create", followed by `birth_effects`."""
        obj.status = self.initial
        (attach or db.session.add)(obj)
        db.session.flush()
        audit.record(f"{self.name}.create", obj, actor=actor, to_status=self.initial,
                     producer_id=policies.producer_id_of(obj))
        change = Change(self.name, "create", "", str(self.initial), obj, actor)
        for effect in self.birth_effects:
            self.effects[effect](change)
        return obj

    def place(self, obj, status: str) -> str | None:
        """For seeders that build past history: put a record into `status` without applying a transition now
        (no audit row, no e-mail, no reindex: the seeder does those once for the whole data set).

        A record without a status yet is born in any status of this table; one that has a status moves only
        along a declared transition (returned by name, so the seeder's timeline names it too)."""
        status = str(status)
        if status not in self.statuses:
            raise TransitionNotAllowed("state", status)
        current = None if obj.status is None else str(obj.status)
        name = None
        if current is not None and current != status:
            name = next((t.name for t in self.transitions.values()
                         if current in t.sources and t.target == status), None)
            if name is None:
                raise TransitionNotAllowed("state", status)
        obj.status = status
        return name


def _reload(obj, keys: Iterable[str]) -> None:
    """Read back what the UPDATE wrote, and forget relationships resting on those columns."""
    keys = list(keys)
    db.session.refresh(obj, keys)
    mapper = inspect(type(obj))
    stale = [rel.key for rel in mapper.relationships if {c.key for c in rel.local_columns} & set(keys)]
    if stale:
        db.session.expire(obj, stale)


REGISTRY: list[Workflow] = []


def workflow_for(obj) -> Workflow | None:
    """The table that moves this kind of record."""
    for workflow in REGISTRY:
        if isinstance(obj, workflow.model):
            return workflow
    return None


def available_actions(obj, actor=None) -> list[str]:
    """The transitions `actor` (the signed-in user when None) may apply to this record now: what templates ask
    instead of comparing status strings."""
    if actor is None:
        from flask_login import current_user

        actor = current_user
    workflow = workflow_for(obj)
    return workflow.available(obj, actor) if workflow is not None and obj is not None else []
