"""Trade: buyer inquiries, forwards to producers (allocations) and deals; the buyer's inquiry and tracking pages
(inquiries/) and the facilitator's pages (facilitator/); the inquiry workflow."""
