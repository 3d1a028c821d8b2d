"""Every permission rule, as small pure functions of (user, object).

Views call these; templates call them through `can('rule', obj)`; the workflow engine
resolves a transition's actors ("owner", "moderator") through them too.
"""
from __future__ import annotations

from flask_login import current_user
from sqlalchemy import or_, select

from marketplace.models import Certificate, Producer, Product, PublicationStatus, Revision, Role, User

STAFF = {Role.MODERATOR, Role.FACILITATOR, Role.ADMIN}


def _signed_in(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _is_staff(user: User | None) -> bool:
    return _signed_in(user) and user.role in STAFF


def producer_id_of(obj) -> int | None:
    """The storefront a record belongs to."""
    if isinstance(obj, Producer):
        return obj.id
    if isinstance(obj, (Product, Revision)):
        return obj.producer_id
    return getattr(obj, "producer_id", None)


def can_use_dashboard(user: User | None, _obj=None) -> bool:
    return _signed_in(user) and user.role in (Role.PRODUCER, Role.FIELD_OFFICER)


def acts_for_producers(user: User | None, _obj=None) -> bool:
    """A field officer manages the storefronts assigned to them, one at a time, chosen first."""
    return _signed_in(user) and user.role == Role.FIELD_OFFICER


def own_producer_id(user: User | None) -> int | None:
    """The storefront a producer account belongs to (none for everyone else)."""
    return user.producer_id if _signed_in(user) and user.role == Role.PRODUCER else None


def can_manage_producer(user: User | None, producer: Producer | int | None) -> bool:
    """The producer's own account, or a field officer assigned to that producer."""
    if not _signed_in(user) or producer is None:
        return False
    producer_id = producer if isinstance(producer, int) else producer.id
    if user.role == Role.PRODUCER:
        return user.producer_id == producer_id
    if user.role == Role.FIELD_OFFICER:
        return any(p.id == producer_id for p in user.assigned_producers)
    return False


def can_edit(user: User | None, obj) -> bool:
    """Storefront, listing, photo or revision: only whoever manages that storefront."""
    return can_manage_producer(user, producer_id_of(obj))


def _categories_of(obj) -> set[int]:
    if isinstance(obj, Product):
        return {obj.category_id}
    if isinstance(obj, Producer):
        return {p.category_id for p in obj.products}
    if isinstance(obj, Revision):
        return {obj.data.get("category_id")} if obj.object_type == "product" and obj.data else set()
    if isinstance(obj, Certificate):  # checked by the moderators of its storefront's categories
        return _categories_of(obj.producer)
    return set()


def can_moderate(user: User | None, obj=None) -> bool:
    """Moderators and admins; a moderator scoped to categories only for records in them."""
    if not _signed_in(user) or user.role not in (Role.MODERATOR, Role.ADMIN):
        return False
    scope = moderation_scope(user)
    return scope is None or obj is None or in_moderation_scope(scope, _categories_of(obj))


def moderation_scope(user: User) -> set[int] | None:
    """The categories a moderator reviews; None for whoever reviews every category (admins, unscoped moderators)."""
    if user.role == Role.ADMIN or not user.moderated_categories:
        return None
    return {c.id for c in user.moderated_categories}


def moderation_scope_filter(user: User, category=None, producer_id=None):
    """`can_moderate` as a WHERE clause, for lists read straight from the database (the review queue): rows whose
    `category` column is in the moderator's categories, or storefronts (`producer_id`) with a listing in them or
    with none at all. None when the user reviews every category."""
    scope = moderation_scope(user)
    if scope is None:
        return None
    if category is not None:
        return category.in_(scope)
    listings = select(Product.id).where(Product.producer_id == producer_id)
    return or_(~listings.exists(), listings.where(Product.category_id.in_(scope)).exists())


def in_moderation_scope(scope: set[int] | None, categories: set[int]) -> bool:
    """A record with these categories is in the scope (one with none, e.g. a storefront without listings, is in every
    scope): the rule `can_moderate` applies, for callers that know a record's categories without loading it."""
    return scope is None or not categories or bool(categories & scope)


def can_facilitate(user: User | None, _obj=None) -> bool:
    """BUMD facilitators work the inquiry queue; admins may too."""
    return _signed_in(user) and user.role in (Role.FACILITATOR, Role.ADMIN)


def can_monitor(user: User | None, _obj=None) -> bool:
    """The monitoring dashboard and the agreements with their targets: BUMD facilitators and the city's admins."""
    return _signed_in(user) and user.role in (Role.FACILITATOR, Role.ADMIN)


def can_read_reports(user: User | None, _obj=None) -> bool:
    """Reports for the MoU meetings: the city's admins, and the facilitators who prepare those meetings with them."""
    return _signed_in(user) and user.role in (Role.FACILITATOR, Role.ADMIN)


def can_import_inventory(user: User | None, _obj=None) -> bool:
    """The city's operators (admins) load the UMKM inventory spreadsheet."""
    return can_administer(user)


class InventoryImport:
    """The city's inventory import as the actor of the transitions it applies (the workflows' "import").

    `user` is the admin who confirmed it on /admin/import, or None for `flask import-umkm` on the
    server. Audit rows carry that admin (or no actor) and say in their note that the import did it.
    Never a signed-in person, so no other actor kind ("owner", "moderator") matches it.
    """

    is_authenticated = False
    role = None

    def __init__(self, user: User | None = None):
        self.user = user

    @property
    def id(self) -> int | None:
        return self.user.id if self.user is not None else None


def is_inventory_import(actor, _obj=None) -> bool:
    """The import acts only as itself: run from the server's command line, or by an admin on the page."""
    return isinstance(actor, InventoryImport) and (actor.user is None or can_import_inventory(actor.user))


def can_answer_inquiry(user: User | None, inquiry) -> bool:
    """A producer (or their field officer) answers an inquiry only once it was forwarded to them."""
    return any(can_manage_producer(user, a.producer_id) for a in getattr(inquiry, "allocations", []))


def acts_on_inquiry(user: User | None, inquiry) -> bool:
    """The facilitator who may act on an inquiry: any facilitator while nobody holds it, then the one who holds
    it; admins always."""
    if not can_facilitate(user) or inquiry is None:
        return False
    return user.role == Role.ADMIN or inquiry.assigned_to_id in (None, user.id)


def can_correct_request(user: User | None, inquiry) -> bool:
    """What an inquiry asks for (quantity, unit, period, duration, start) is corrected by the facilitator who acts
    on it, while it is open (a finished inquiry keeps what it asked)."""
    from marketplace.trade.workflow import OPEN

    return acts_on_inquiry(user, inquiry) and str(inquiry.status) in {str(s) for s in OPEN}


def can_see_buyer_contact(user: User | None, allocation) -> bool:
    """Buyers' contact details reach a producer only after the facilitator releases them."""
    return can_facilitate(user) or (allocation.contact_released and can_manage_producer(user, allocation.producer_id))


def can_record_delivery(user: User | None, line) -> bool:
    """Deliveries against a contract line: the facilitators, and the producer (or its officer) for its own line."""
    return can_facilitate(user) or can_manage_producer(user, line.producer_id)


def is_buyer(actor, _obj=None) -> bool:
    """The buyer has no account: whoever holds the private tracking link acts as the buyer."""
    return actor is BUYER


class _Buyer:
    id = None
    role = "buyer"
    producer_id = None
    is_authenticated = False


BUYER = _Buyer()


def can_administer(user: User | None, _obj=None) -> bool:
    """The city's admin manages accounts and roles and reads the audit log."""
    return _signed_in(user) and user.role == Role.ADMIN and user.active


def is_public(obj: Producer | Product) -> bool:
    """Buyers see it: a published storefront, or a published listing of one (templates ask this too)."""
    if isinstance(obj, Product):
        return obj.status == PublicationStatus.PUBLISHED and is_public(obj.producer)
    return obj.status == PublicationStatus.PUBLISHED


def can_view_producer(user: User | None, producer: Producer) -> bool:
    return is_public(producer) or can_edit(user, producer) or _is_staff(user)


def can_view_product(user: User | None, product: Product) -> bool:
    return is_public(product) or can_edit(user, product) or _is_staff(user)


def can_see_producer_contact(user: User | None, producer: Producer) -> bool:
    """Buyers reach producers through the BUMD facilitator; only staff and the owner see the numbers."""
    return can_edit(user, producer) or _is_staff(user)


def can_view_certificate_document(user: User | None, document) -> bool:
    """A certificate's scanned document (models.CertificateDocument): staff (moderators check it, facilitators show it
    to buyers they work with, admins), and whoever manages the storefront; anyone else only once the producer made it
    public on a certificate of a storefront buyers can see."""
    if document is None:
        return False
    return _is_staff(user) or can_manage_producer(user, document.producer_id) or document.is_public


def can_send_for_review(user: User | None, obj) -> bool:
    """The storefront's or listing's "send for review" button (what it sends: listings/editing.py)."""
    from marketplace.listings.editing import can_send_for_review as sendable

    return can_edit(user, obj) and sendable(obj, user)


RULES = {
    "send_for_review": can_send_for_review,
    "use_dashboard": can_use_dashboard,
    "act_for_producers": acts_for_producers,
    "edit": can_edit,
    "moderate": can_moderate,
    "facilitate": can_facilitate,
    "monitor": can_monitor,
    "read_reports": can_read_reports,
    "see_buyer_contact": can_see_buyer_contact,
    "correct_request": can_correct_request,
    "view_producer": can_view_producer,
    "view_product": can_view_product,
    "see_producer_contact": can_see_producer_contact,
    "view_certificate_document": can_view_certificate_document,
    "import_inventory": can_import_inventory,
    "administer": can_administer,
}


def can(rule: str, obj=None) -> bool:
    """Template helper: `{% if can('see_producer_contact', producer) %}`, or a transition of the record's
    workflow: `{% if can('suspend', product) %}` (may the signed-in user apply it now?)."""
    if rule in RULES:
        return RULES[rule](current_user, obj)
    from marketplace.core.workflow import workflow_for

    workflow = workflow_for(obj) if obj is not None else None
    if workflow is None or rule not in workflow.transitions:
        raise KeyError(f"no rule or transition {rule!r} for {type(obj).__name__}")
    return workflow.allowed(rule, obj, current_user)
