"""The upload form of the inventory import."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, RadioField

from marketplace.core.forms import Form


class UploadForm(Form):
    file = FileField(
        _l("Berkas inventaris (CSV atau XLSX)"),
        validators=[FileRequired(_l("Pilih berkas CSV atau XLSX.")),
                    FileAllowed(["csv", "xlsx"], _l("Berkas harus CSV atau XLSX."))],
        description=_l("Baris judul kolom boleh berada di bawah judul tabel. Kolom wajib: Nama Usaha, NIB, Kecamatan, Produk."),
        render_kw={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )
    publish = BooleanField(
        _l("Langsung tayangkan (data sudah diverifikasi Pemkot)"),
        description=_l("Tanpa centang, yang baru dan yang berubah menunggu peninjauan kurator. Dengan centang, yang "
                       "diperiksa impor langsung tayang; yang ditangguhkan atau diarsipkan tetap begitu sampai "
                       "kurator memutuskan."),
    )


class ConfirmForm(Form):
    """Confirm an import; `confirm_form` adds one choice per storefront someone registered themselves."""

    def resolutions(self) -> dict[str, str]:
        """NIB → "owner" | "invite" for each conflict the admin settled (an empty choice leaves it waiting)."""
        return {field.nib: field.data for field in self if getattr(field, "nib", None) and field.data}


def confirm_form(conflicts: list[dict]) -> ConfirmForm:
    """The confirm button's form, with a choice for each open conflict of the preview."""

    class Form(ConfirmForm):
        pass

    for conflict in conflicts:
        choices = [("", _l("Biarkan menunggu: baris etalase ini tidak diimpor")),
                   ("owner", _l("Akun yang mendaftar memang pemiliknya (tetap ditinjau kurator)"))]
        if conflict.get("sheet_email"):
            choices.append(("invite", _l("Undang email dari spreadsheet; akun yang mendaftar kehilangan etalase ini")))
        setattr(Form, f"resolve_{conflict['nib']}", RadioField(
            _l("Siapa pemilik etalase ini?"), choices=choices, default=""))
    form = Form()
    for conflict in conflicts:
        form[f"resolve_{conflict['nib']}"].nib = conflict["nib"]
    return form
