"""All models, imported here so Alembic and the app see one metadata."""
from marketplace.models.accounts import Role, User, officer_assignment
from marketplace.models.audit import AuditEvent
from marketplace.models.base import Base, utcnow
from marketplace.models.catalog import (
    CatalogState,
    Category,
    Certificate,
    CertificateDocument,
    CertificateStatus,
    Photo,
    PriceTier,
    Producer,
    Product,
    PublicationStatus,
    product_certificate,
)
from marketplace.models.inquiries import (
    Agreement,
    AgreementTarget,
    Allocation,
    AllocationStatus,
    BuyerCompany,
    EventVisibility,
    Inquiry,
    InquiryEvent,
    InquiryItem,
    InquiryStatus,
)
from marketplace.models.contracts import (
    Contract,
    ContractLine,
    ContractMonth,
    ContractStatus,
    Delivery,
    DeliveryStatus,
    Quotation,
    QuotationLine,
    QuotationStatus,
)
from marketplace.models.moderation import (
    OPEN_REVISION_STATUSES,
    CurationAssessment,
    Revision,
    RevisionStatus,
    moderator_scope,
)
from marketplace.models.outbox import OutboundMessage, OutboxStatus
from marketplace.models.search import SearchTerm

__all__ = [
    "CatalogState",
    "Base", "utcnow", "Role", "User", "Category", "Certificate", "CertificateDocument", "CertificateStatus", "Photo", "PriceTier", "Producer",
    "Product", "PublicationStatus", "product_certificate", "officer_assignment", "AuditEvent", "Revision",
    "RevisionStatus", "OPEN_REVISION_STATUSES", "CurationAssessment", "moderator_scope", "Inquiry", "InquiryItem",
    "InquiryEvent", "InquiryStatus", "EventVisibility", "Allocation", "AllocationStatus", "Agreement", "AgreementTarget", "BuyerCompany", "OutboundMessage", "OutboxStatus", "SearchTerm",
    "Quotation", "QuotationLine", "QuotationStatus", "Contract", "ContractLine", "ContractMonth", "ContractStatus", "Delivery",
    "DeliveryStatus",
]
