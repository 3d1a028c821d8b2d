"""The upload form of the inventory import."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField

from marketplace.forms import Form


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
        description=_l("Tanpa centang, etalase dan produk yang diimpor menunggu peninjauan kurator."),
    )
