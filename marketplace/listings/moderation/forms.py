"""The curator's decision, suspension and grading forms."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import Field, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from marketplace.core.forms import Form, IdField, QueryForm, WholeNumber
from marketplace.core.security import MAX_ID
from marketplace.listings.review import KINDS, RUBRIC, RUBRIC_LEVELS, STOCK_REASONS
from marketplace.core.vocab import KECAMATAN

DECISIONS = ("approve", "reject", "request_changes")


class QueueArgs(QueryForm):
    """The review queue's filters: a value that fits no filter is left out."""

    kind = SelectField(choices=[("", "")] + [(k, k) for k in KINDS], default="")
    category = IdField()
    kecamatan = SelectField(choices=[("", "")] + [(k, k) for k in KECAMATAN], default="")
    page = WholeNumber(minimum=1, maximum=100_000, clamp=True, default=1)


def _stock_reasons() -> dict[str, str]:
    return {str(i): str(r) for i, r in enumerate(STOCK_REASONS)}


class DecisionForm(Form):
    stock_reason = SelectField(_l("Alasan siap pakai"), choices=lambda: [("", "—"), *_stock_reasons().items()],
                               validators=[Optional()])
    reason = TextAreaField(_l("Alasan (dikirim ke produsen)"), validators=[Optional(), Length(max=2000)])

    def full_reason(self) -> str:
        """The typed reason, or the picked stock reason when nothing was typed."""
        typed = (self.reason.data or "").strip()
        return typed or _stock_reasons().get(self.stock_reason.data or "", "")


class SuspendForm(Form):
    reason = TextAreaField(_l("Alasan penangguhan"), validators=[DataRequired(_l("Tulis alasan penangguhan.")),
                                                                  Length(max=2000)])


class UnverifyForm(Form):
    """Taking a certificate's verification back: the reason is written to the history and shown to the producer."""

    reason = TextAreaField(_l("Alasan verifikasi dicabut"),
                           validators=[DataRequired(_l("Tulis alasannya, misalnya nomor tidak ditemukan di situs "
                                                       "penerbit.")), Length(max=1000)])


class GradeForm(Form):
    notes = TextAreaField(_l("Catatan kurator untuk produsen"), validators=[Optional(), Length(max=3000)])


# Each score's choice carries what it means for that criterion (RUBRIC_LEVELS); the template shows both.
for _key, _label in RUBRIC.items():
    setattr(GradeForm, _key, RadioField(_label, choices=[(str(n), text) for n, text in RUBRIC_LEVELS[_key].items()],
                                        validators=[DataRequired(_l("Beri nilai 1–4."))]))



# An item of the queue as the review page's address names its record: "products:12", "producers:5".
_ITEM = re.compile(r"(products|producers):[1-9][0-9]{0,17}")
MAX_BULK = 200


class ItemsField(Field):
    """Every value sent under one name (ticked boxes: item=products:12&item=producers:5), each a queue item's key;
    more than MAX_BULK, or one that is not a key, is refused."""

    widget = HiddenInput()

    def process_formdata(self, valuelist):
        self.data = list(dict.fromkeys(v.strip() for v in valuelist))

    def _value(self):
        return ""

    def pre_validate(self, form):
        if not self.data:
            raise ValidationError(_l("Pilih setidaknya satu item."))
        if len(self.data) > MAX_BULK or not all(_ITEM.fullmatch(v) and int(v.partition(":")[2]) <= MAX_ID
                                                 for v in self.data):
            raise ValidationError(_l("Pilihan tidak dikenal."))


class ImportItemsArgs(QueryForm):
    """The imported items ticked on the queue, shown for confirmation."""

    item = ItemsField(default=list)


class ImportApprovalForm(Form):
    """The confirmed list, approved in one POST."""

    item = ItemsField(default=list)
