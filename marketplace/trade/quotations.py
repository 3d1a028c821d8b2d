"""Quotations: what the facilitator proposes to the buyer from the producers' offers, in versions; the buyer
accepts, declines with a reason or asks for a change through the private tracking link (trade/workflow.py)."""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.core import outbox
from marketplace.trade import workflow


@workflow.quotation.effect(workflow.SEND_QUOTATION)
def _send(change) -> None:
    """The buyer gets the quotation's news by e-mail with the private link, in the language they asked in."""
    request = change.obj.inquiry
    with force_locale(request.locale):
        body = _("Penawaran harga versi %(version)s siap. Buka tautan untuk melihat dan menjawabnya.",
                 version=change.obj.version)
    outbox.queue_email(request.email, "inquiry_message", locale=request.locale, inquiry=request, body=body,
                       url=outbox.site_url("inquiries.track", token=request.tracking_token))


@workflow.quotation.effect(workflow.TELL_FACILITATOR)
def _tell_facilitator(change) -> None:
    """The buyer's answer (and its reason) is a line of the inquiry's timeline, which the facilitator works from."""
    from marketplace.models import EventVisibility, InquiryEvent

    request = change.obj.inquiry
    request.events.append(InquiryEvent(
        kind="quotation", visibility=EventVisibility.BUYER, by_buyer=True, body=change.reason,
        data={"version": change.obj.version, "transition": change.name},
    ))
