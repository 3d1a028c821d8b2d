"""The second step of a consequential press (cancel, agree, close, accept, withdraw): the first press shows what
will happen and changes nothing; the confirmed press with errors (a missing reason) is shown again with them."""
from __future__ import annotations

from flask import render_template


def second_step(form, **page):
    if not form.confirmed.data:
        return render_template("facilitator/confirm.html", form=form, first=True, **page)
    return render_template("facilitator/confirm.html", form=form, first=False, **page), 400
