"""Trade: buyer inquiries, forwards to producers (allocations), quotations and contracts; the buyer's inquiry and tracking pages
(inquiries/) and the facilitator's pages (facilitator/); the inquiry workflow."""

# The effects of the quotation table (making the contract, telling the buyer and the facilitator) register here.
from marketplace.trade import contracts, quotations  # noqa: E402,F401
