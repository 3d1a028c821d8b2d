"""Fixed vocabularies of the domain: districts, units, certificates, storage.

Codes are stored; labels are translated when shown.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

# The five kecamatan of Kota Metro and their kelurahan.
KECAMATAN: dict[str, str] = {
    "metro-pusat": "Metro Pusat",
    "metro-utara": "Metro Utara",
    "metro-barat": "Metro Barat",
    "metro-timur": "Metro Timur",
    "metro-selatan": "Metro Selatan",
}

KELURAHAN: dict[str, tuple[str, ...]] = {
    "metro-pusat": ("Metro", "Imopuro", "Hadimulyo Barat", "Hadimulyo Timur", "Yosomulyo"),
    "metro-utara": ("Banjarsari", "Purwosari", "Purwoasri", "Karangrejo"),
    "metro-barat": ("Mulyojati", "Mulyosari", "Ganjar Agung", "Ganjar Asri"),
    "metro-timur": ("Iringmulyo", "Yosodadi", "Yosorejo", "Tejoagung", "Tejosari"),
    "metro-selatan": ("Margodadi", "Margorejo", "Rejomulyo", "Sumbersari Bantul"),
}


def kecamatan_code(name: str | None) -> str | None:
    """'METRO SELATAN', 'metro selatan' or 'metro-selatan' → 'metro-selatan'; unknown → None."""
    if not name:
        return None
    key = " ".join(name.replace("-", " ").split()).lower()
    for code, label in KECAMATAN.items():
        if label.lower() == key:
            return code
    return None


# Units a product can be sold in; mass units convert to kilograms for capacity totals.
UNITS: dict[str, object] = {
    "kg": _l("kg"),
    "ton": _l("ton"),
    "kuintal": _l("kuintal"),
    "butir": _l("butir"),
    "ekor": _l("ekor"),
    "ikat": _l("ikat"),
    "sisir": _l("sisir"),
    "pcs": _l("pcs"),
    "lembar": _l("lembar"),
    "botol": _l("botol"),
    "liter": _l("liter"),
    "karung": _l("karung"),
    "pak": _l("pak"),
    "kotak": _l("kotak"),
}
MASS_IN_KG: dict[str, int] = {"kg": 1, "kuintal": 100, "ton": 1000}

# How an amount of each unit reads: Indonesian has one form ("500 butir"), English two ("1 egg", "500 eggs").
# Units missing here read as "<number> <label>" (kg). `num` is the number already formatted for the locale.
UNIT_AMOUNTS = {
    "ton": lambda n, num: ngettext("%(amount)s ton", "%(amount)s ton", n, amount=num),
    "kuintal": lambda n, num: ngettext("%(amount)s kuintal", "%(amount)s kuintal", n, amount=num),
    "butir": lambda n, num: ngettext("%(amount)s butir", "%(amount)s butir", n, amount=num),
    "ekor": lambda n, num: ngettext("%(amount)s ekor", "%(amount)s ekor", n, amount=num),
    "ikat": lambda n, num: ngettext("%(amount)s ikat", "%(amount)s ikat", n, amount=num),
    "sisir": lambda n, num: ngettext("%(amount)s sisir", "%(amount)s sisir", n, amount=num),
    "pcs": lambda n, num: ngettext("%(amount)s pcs", "%(amount)s pcs", n, amount=num),
    "lembar": lambda n, num: ngettext("%(amount)s lembar", "%(amount)s lembar", n, amount=num),
    "botol": lambda n, num: ngettext("%(amount)s botol", "%(amount)s botol", n, amount=num),
    "liter": lambda n, num: ngettext("%(amount)s liter", "%(amount)s liter", n, amount=num),
    "karung": lambda n, num: ngettext("%(amount)s karung", "%(amount)s karung", n, amount=num),
    "pak": lambda n, num: ngettext("%(amount)s pak", "%(amount)s pak", n, amount=num),
    "kotak": lambda n, num: ngettext("%(amount)s kotak", "%(amount)s kotak", n, amount=num),
}

CERTIFICATES: dict[str, object] = {
    "halal": _l("Halal"),
    "pirt": _l("PIRT"),
    "bpom_md": _l("BPOM MD"),
    "sni": _l("SNI"),
    "nkv": _l("NKV"),
    "organik": _l("Organik"),
    "prima3": _l("Prima 3"),
    "hki": _l("HKI"),
    "skkh": _l("SKKH (kesehatan hewan)"),
    "lainnya": _l("Lainnya"),
}


def certificate_code(name: str) -> str | None:
    key = "".join(ch for ch in name.lower() if ch.isalnum())
    aliases = {
        "halal": "halal", "pirt": "pirt", "spppirt": "pirt", "bpommd": "bpom_md", "bpom": "bpom_md",
        "md": "bpom_md", "sni": "sni", "nkv": "nkv", "organik": "organik", "organic": "organik",
        "prima3": "prima3", "hki": "hki", "skkh": "skkh",
    }
    return aliases.get(key)


STORAGE: dict[str, object] = {
    "ambient": _l("Suhu ruang"),
    "chilled": _l("Dingin (0–5 °C)"),
    "frozen": _l("Beku (−18 °C)"),
    "live": _l("Hewan hidup"),
}

MONTHS_ALL_YEAR = (1 << 12) - 1

# A live animal travels only with a health certificate.
ANIMAL_HEALTH_CERTIFICATES = ("skkh", "nkv")

BUYER_TYPES: dict[str, object] = {
    "hotel": _l("Hotel"),
    "restaurant": _l("Restoran / kafe"),
    "retailer": _l("Ritel / supermarket"),
    "distributor": _l("Distributor / grosir"),
    "caterer": _l("Katering"),
    "bumd": _l("BUMD DKI Jakarta (Food Station, Dharma Jaya, Pasar Jaya)"),
    "other": _l("Lainnya"),
}

FREQUENCIES: dict[str, object] = {
    "once": _l("Sekali"),
    "weekly": _l("Mingguan"),
    "monthly": _l("Bulanan"),
}

# Where a price holds: at the producer in Metro, or delivered to Jakarta with or without the freight in the price.
DELIVERY_TERMS: dict[str, object] = {
    "loco": _l("Loco Metro (diambil di Metro)"),
    "franco_incl": _l("Franco Jakarta, termasuk ongkos kirim"),
    "franco_excl": _l("Franco Jakarta, ongkos kirim terpisah"),
}
# What a listing's price includes (its basis): the same three terms as an offer's, as buyers compare them.
PRICE_BASIS = DELIVERY_TERMS
# The same, as short as a catalog card can hold beside the price.
PRICE_BASIS_SHORT: dict[str, object] = {
    "loco": _l("loco Metro"),
    "franco_incl": _l("franco Jakarta, termasuk ongkir"),
    "franco_excl": _l("franco Jakarta, belum termasuk ongkir"),
}

# The statuses of a quotation, a contract and a delivery, as people read them (trade/workflow.py).
QUOTATION_STATUS: dict[str, object] = {
    "sent": _l("Menunggu jawaban pembeli"),
    "accepted": _l("Diterima"),
    "declined": _l("Ditolak pembeli"),
    "change": _l("Pembeli minta perubahan"),
    "superseded": _l("Diganti versi baru"),
    "withdrawn": _l("Ditarik"),
}
CONTRACT_STATUS: dict[str, object] = {
    "active": _l("Berjalan"),
    "completed": _l("Selesai"),
    "cancelled": _l("Dibatalkan"),
}
DELIVERY_STATUS: dict[str, object] = {
    "accepted": _l("Diterima"),
    "rejected": _l("Ditolak saat diterima"),
    "cancelled": _l("Catatan dibatalkan"),
}

DELIVERY_CITIES: dict[str, str] = {
    "jakarta-pusat": "Jakarta Pusat",
    "jakarta-utara": "Jakarta Utara",
    "jakarta-barat": "Jakarta Barat",
    "jakarta-selatan": "Jakarta Selatan",
    "jakarta-timur": "Jakarta Timur",
    "kepulauan-seribu": "Kepulauan Seribu",
    "jabodetabek": "Bodetabek (sekitar Jakarta)",
}

# Account roles (codes as in models.accounts.Role), as the admin's screens name them.
ROLES: dict[str, object] = {
    "producer": _l("Produsen"),
    "field_officer": _l("Pendamping"),
    "moderator": _l("Kurator (moderator)"),
    "facilitator": _l("Fasilitator BUMD"),
    "admin": _l("Admin Pemkot"),
}

# What each audit action means, as the audit log, the account page and the review history name it.
# Workflow transitions are logged as "<workflow>.<transition>"; tests/accounts/test_audit_labels.py finds every
# action the code can write and fails for one without a label here.
AUDIT_ACTIONS: dict[str, object] = {
    "account.activated": _l("Akun diaktifkan kembali"),
    "account.deactivated": _l("Akun dinonaktifkan"),
    "account.created": _l("Akun dibuat"),
    "account.email_confirmed": _l("E-mail dikonfirmasi"),
    "account.invitation_accepted": _l("Undangan diterima"),
    "account.invited": _l("Undangan dikirim"),
    "account.login": _l("Masuk"),
    "account.logout": _l("Keluar"),
    "account.officer_assigned": _l("Produsen ditugaskan ke pendamping"),
    "account.officer_unassigned": _l("Penugasan pendamping diakhiri"),
    "account.password_changed": _l("Kata sandi diganti"),
    "account.password_reset": _l("Kata sandi diatur ulang"),
    "account.registered": _l("Pendaftaran akun"),
    "account.role_changed": _l("Peran diubah"),
    "account.scope_added": _l("Kategori kurasi ditambahkan"),
    "account.scope_removed": _l("Kategori kurasi dihapus"),
    "account.staff_created": _l("Akun staf dibuat"),
    "agreement.created": _l("Perjanjian kerja sama dibuat"),
    "agreement.updated": _l("Perjanjian kerja sama diubah"),
    "buyer_company.verified": _l("Perusahaan pembeli diverifikasi"),
    "inquiry.agreement_set": _l("Permintaan dikaitkan dengan perjanjian"),
    "inquiry.deal_recorded": _l("Kesepakatan dicatat"),  # written before deals became contracts (0013)
    "inquiry.request_corrected": _l("Permintaan dikoreksi fasilitator"),
    "inquiry.reassigned": _l("Permintaan dialihkan ke fasilitator lain"),
    "inquiry.unassigned": _l("Permintaan dilepas dari fasilitator"),
    "inventory.imported": _l("Inventaris UMKM diimpor"),
    "producer.certificate_document_uploaded": _l("Dokumen sertifikat diunggah"),
    "producer.curated_awarded": _l("Lencana Terkurasi Dekranasda diberikan"),
    "producer.curated_withdrawn": _l("Lencana Terkurasi Dekranasda dicabut"),
    "producer.imported": _l("Etalase diimpor dari inventaris"),
    "producer.import_owner_confirmed": _l("Pemilik etalase dikonfirmasi saat impor"),
    "producer.import_owner_replaced": _l("Etalase diserahkan ke e-mail dari inventaris"),
    "producer.revision_saved": _l("Perubahan etalase disimpan"),
    "producer.updated": _l("Etalase diubah"),
    "product.created": _l("Produk dibuat"),
    "product.graded": _l("Nilai kurasi diberikan"),
    "product.imported": _l("Produk diimpor dari inventaris"),
    "product.photo_removed": _l("Foto produk dihapus"),
    "product.photos_added": _l("Foto produk ditambahkan"),
    "product.revision_saved": _l("Perubahan produk disimpan"),
    "product.updated": _l("Produk diubah"),
    "publication.submit": _l("Dikirim untuk ditinjau"),
    "publication.withdraw": _l("Ditarik dari peninjauan"),
    "publication.approve": _l("Disetujui dan ditayangkan"),
    "publication.reject": _l("Ditolak"),
    "publication.request_changes": _l("Diminta perbaikan"),
    "publication.suspend": _l("Ditangguhkan"),
    "publication.resubmit": _l("Dikirim ulang untuk ditinjau"),
    "publication.archive": _l("Diarsipkan"),
    "publication.restore": _l("Dipulihkan dari arsip"),
    "verification.verify": _l("Sertifikat ditandai terverifikasi"),
    "verification.unverify": _l("Verifikasi sertifikat dicabut"),
    "verification.reset": _l("Verifikasi sertifikat batal karena isinya berubah"),
    "revision.submit": _l("Perubahan dikirim untuk ditinjau"),
    "revision.withdraw": _l("Perubahan ditarik"),
    "revision.approve": _l("Perubahan disetujui"),
    "revision.reject": _l("Perubahan ditolak"),
    "revision.request_changes": _l("Perubahan diminta diperbaiki"),
    "allocation.offer": _l("Produsen mengirim penawaran"),
    "allocation.decline": _l("Produsen menolak permintaan"),
    "allocation.reforward": _l("Diteruskan ulang ke produsen"),
    "allocation.revise": _l("Penawaran produsen diubah"),
    "allocation.withdraw": _l("Penawaran produsen ditarik"),
    "quotation.create": _l("Penawaran harga dikirim ke pembeli"),
    "quotation.accept": _l("Penawaran harga diterima pembeli"),
    "quotation.decline": _l("Penawaran harga ditolak pembeli"),
    "quotation.ask_change": _l("Pembeli meminta perubahan penawaran"),
    "quotation.supersede": _l("Penawaran harga diganti versi baru"),
    "quotation.withdraw": _l("Penawaran harga ditarik"),
    "contract.create": _l("Kontrak dibuat"),
    "contract.complete": _l("Kontrak selesai"),
    "contract.cancel": _l("Kontrak dibatalkan"),
    "contract.agreement_set": _l("Perjanjian kontrak dipilih"),
    "contract.line_corrected": _l("Baris kontrak dikoreksi"),
    "delivery.create": _l("Pengiriman dicatat"),
    "delivery.reject": _l("Pengiriman ditolak saat diterima"),
    "delivery.cancel": _l("Catatan pengiriman dibatalkan"),
    "inquiry.claim": _l("Permintaan diambil"),
    "inquiry.mark_spam": _l("Ditandai spam"),
    "inquiry.decline": _l("Permintaan ditolak"),
    "inquiry.forward": _l("Diteruskan ke produsen"),
    "inquiry.respond": _l("Produsen menjawab"),
    "inquiry.negotiate": _l("Negosiasi dimulai"),
    "inquiry.agree": _l("Disepakati"),
    "inquiry.close": _l("Ditutup"),
    "inquiry.cancel": _l("Dibatalkan pembeli"),
}
