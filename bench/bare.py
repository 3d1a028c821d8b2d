"""The benchmark's bare reference: a minimal Flask app that renders 24 plain product cards from memory.

No database, no extensions, no translations, no url_for: the cheapest page Flask + Jinja can serve on
this machine. bench/run.py serves it with the same gunicorn.conf.py and measures it with the same wrk
settings as the real app, so a page's ratio to it is the share of Flask's own ceiling the app reaches:

    gunicorn -c gunicorn.conf.py bench.bare:app      # from the repository root
"""
from __future__ import annotations

import random
from pathlib import Path

from flask import Flask, render_template

app = Flask(__name__, template_folder=str(Path(__file__).with_name("bare_templates")), static_folder=None)

_KECAMATAN = ["Metro Pusat", "Metro Utara", "Metro Barat", "Metro Timur", "Metro Selatan"]
_ITEMS = ["Beras Pandan Wangi", "Keripik Pisang", "Telur Ayam Ras", "Cabai Merah Keriting", "Kopi Robusta",
          "Kain Tapis", "Pupuk Kompos", "Daging Sapi"]


def _cards(count: int = 24) -> list[dict]:
    rng = random.Random(24)
    cards = []
    for n in range(count):
        price = rng.randint(9_000, 90_000) // 100 * 100
        cards.append({
            "id": n + 1, "name": f"{rng.choice(_ITEMS)} Premium", "producer": f"KWT Sumber Rejeki {n + 1}",
            "kecamatan": _KECAMATAN[n % 5], "price": f"Rp{price:,}".replace(",", "."), "unit": "kg",
            "moq": "10 kg", "capacity": f"{rng.randint(500, 60_000):,} kg/bulan".replace(",", "."),
            "photo": f"/media/{n:032x}.webp" if n % 3 else None, "curated": n % 4 == 0,
        })
    return cards


CARDS = _cards()


@app.get("/")
def cards():
    return render_template("cards.html", cards=CARDS)


@app.get("/healthz")
def healthz():
    return "ok"
