"""The admin's forms: a staff account, a role, an assignment, a scope."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Length, NumberRange

from marketplace.forms import CleanText
from marketplace.security import MAX_ID

_REQUIRED = _l("Wajib diisi.")


def role_choices():
    return [("moderator", _l("Kurator (moderator)")), ("facilitator", _l("Fasilitator BUMD")),
            ("field_officer", _l("Pendamping")), ("admin", _l("Admin Pemkot"))]


class StaffForm(CleanText, FlaskForm):
    name = StringField(_l("Nama"), validators=[DataRequired(_REQUIRED), Length(max=120)],
                       render_kw={"autocomplete": "off"})
    email = EmailField(_l("Email"), validators=[DataRequired(_REQUIRED), Length(max=254),
                                                Email(_l("Alamat email tidak valid."))],
                       filters=[lambda v: v.strip() if isinstance(v, str) else v], render_kw={"autocomplete": "off"})
    role = SelectField(_l("Peran"), choices=role_choices, validators=[InputRequired(_REQUIRED)])


class RoleForm(FlaskForm):
    role = SelectField(_l("Peran baru"), choices=role_choices, validators=[InputRequired(_REQUIRED)])


class ProducerForm(FlaskForm):
    """Assign or unassign one storefront (the buttons carry its id)."""
    producer_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])
    op = HiddenField(validators=[InputRequired(), AnyOf(("add", "remove"))])


class ScopeForm(FlaskForm):
    category_id = SelectField(_l("Kategori"), coerce=int, choices=[], validate_choice=False,
                              validators=[InputRequired(_REQUIRED), NumberRange(min=1, max=MAX_ID)])
    op = HiddenField(validators=[InputRequired(), AnyOf(("add", "remove"))])
