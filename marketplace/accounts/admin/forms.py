"""The admin's forms: a staff account, a role, an assignment, a scope."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Length

from marketplace.core.forms import DayField, Form, IdField, QueryForm, SearchText, WholeNumber
from marketplace.models import Role

_REQUIRED = _l("Wajib diisi.")


def role_choices():
    return [("moderator", _l("Kurator (moderator)")), ("facilitator", _l("Fasilitator BUMD")),
            ("field_officer", _l("Pendamping")), ("admin", _l("Admin Pemkot"))]


class StaffForm(Form):
    name = StringField(_l("Nama"), validators=[DataRequired(_REQUIRED), Length(max=120)],
                       render_kw={"autocomplete": "off"})
    email = EmailField(_l("Email"), validators=[DataRequired(_REQUIRED), Length(max=254),
                                                Email(_l("Alamat email tidak valid."))],
                       filters=[lambda v: v.strip() if isinstance(v, str) else v], render_kw={"autocomplete": "off"})
    role = SelectField(_l("Peran"), choices=role_choices, validators=[InputRequired(_REQUIRED)])


class RoleForm(Form):
    role = SelectField(_l("Peran baru"), choices=role_choices, validators=[InputRequired(_REQUIRED)])


class ProducerForm(Form):
    """Assign or unassign one storefront (the buttons carry its id)."""
    producer_id = IdField(validators=[InputRequired()])
    op = HiddenField(validators=[InputRequired(), AnyOf(("add", "remove"))])


class ScopeForm(Form):
    category_id = IdField(_l("Kategori"), validators=[InputRequired(_REQUIRED)])
    op = HiddenField(validators=[InputRequired(), AnyOf(("add", "remove"))])


# ---------------------------------------------------------------- query strings

class UserListArgs(QueryForm):
    q = SearchText(default="")
    role = SelectField(choices=[("", "")] + [(str(r), str(r)) for r in Role], default="")
    status = SelectField(choices=[("", ""), ("active", "active"), ("inactive", "inactive")], default="")
    page = WholeNumber(minimum=1, maximum=100_000, clamp=True, default=1)


class UserPageArgs(QueryForm):
    q = SearchText(default="")


class AuditArgs(QueryForm):
    actor = SearchText(default="")
    action = SearchText(default="")
    object_type = SearchText(default="")
    object_id = IdField()
    producer = SearchText(default="")
    since = DayField()
    until = DayField()
    before = IdField()
