"""The curator's decision, suspension and grading forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.core.forms import Form, IdField, QueryForm
from marketplace.listings.review import KINDS, RUBRIC, RUBRIC_LEVELS, STOCK_REASONS
from marketplace.core.vocab import KECAMATAN

DECISIONS = ("approve", "reject", "request_changes")


class QueueArgs(QueryForm):
    """The review queue's filters: a value that fits no filter is left out."""

    kind = SelectField(choices=[("", "")] + [(k, k) for k in KINDS], default="")
    category = IdField()
    kecamatan = SelectField(choices=[("", "")] + [(k, k) for k in KECAMATAN], default="")


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


class GradeForm(Form):
    notes = TextAreaField(_l("Catatan kurator untuk produsen"), validators=[Optional(), Length(max=3000)])


# Each score's choice carries what it means for that criterion (RUBRIC_LEVELS); the template shows both.
for _key, _label in RUBRIC.items():
    setattr(GradeForm, _key, RadioField(_label, choices=[(str(n), text) for n, text in RUBRIC_LEVELS[_key].items()],
                                        validators=[DataRequired(_l("Beri nilai 1–4."))]))
