"""Trade: buyer inquiries, forwards to producers (allocations), quotations and contracts; the buyer's inquiry and tracking pages
(inquiries/) and the facilitator's pages (facilitator/); the inquiry workflow."""

# The effects of the quotation table (making the contract, telling the buyer and the facilitator) register here, and
# the listeners that bump the trade version (the monitoring figures' freshness) with every trade write.
from marketplace.trade import contracts, quotations, version  # noqa: E402,F401
