"""The curator's decision, suspension and grading forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.services.moderation import RUBRIC, RUBRIC_LEVELS, STOCK_REASONS

DECISIONS = ("approve", "reject", "request_changes")


class DecisionForm(FlaskForm):
    stock_reason = SelectField(_l("Alasan siap pakai"), choices=[], validators=[Optional()], validate_choice=False)
    reason = TextAreaField(_l("Alasan (dikirim ke produsen)"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stock_reason.choices = [("", "—")] + [(str(i), str(r)) for i, r in enumerate(STOCK_REASONS)]

    def full_reason(self) -> str:
        """The typed reason, or the picked stock reason when nothing was typed."""
        typed = (self.reason.data or "").strip()
        if typed:
            return typed
        if (self.stock_reason.data or "").isdigit() and int(self.stock_reason.data) < len(STOCK_REASONS):
            return str(STOCK_REASONS[int(self.stock_reason.data)])
        return ""


class SuspendForm(FlaskForm):
    reason = TextAreaField(_l("Alasan penangguhan"), validators=[DataRequired(_l("Tulis alasan penangguhan.")),
                                                                  Length(max=2000)])


class GradeForm(FlaskForm):
    notes = TextAreaField(_l("Catatan kurator untuk produsen"), validators=[Optional(), Length(max=3000)])


# Each score's choice carries what it means for that criterion (RUBRIC_LEVELS); the template shows both.
for _key, _label in RUBRIC.items():
    setattr(GradeForm, _key, RadioField(_label, choices=[(str(n), text) for n, text in RUBRIC_LEVELS[_key].items()],
                                        validators=[DataRequired(_l("Beri nilai 1–4."))]))
