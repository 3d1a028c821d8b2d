"""One writer of every status (ARCHITECTURE rule 2): nothing in marketplace/ assigns a workflow status except
the engine. The scan reads the source (AST) for

- an assignment to `<anything>.status` (also inside tuples, augmented or annotated),
- `setattr(<anything>, "status", …)`,
- `status=` (or a "status" key) in a `.values(…)` call: `update(Model).values(status=…)`, `insert(…).values(…)`,

and fails for any of them outside the exemptions below, each with its reason.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "marketplace"

EXEMPT = {
    "marketplace/core/workflow.py": "the writer itself: Workflow.apply, Workflow.create and Workflow.place",
    "marketplace/core/outbox.py": (
        "an e-mail's delivery state (queued → sending → sent, back to queued on failure, a stuck claim retried) "
        "is the transport's claim protocol run by the sender process: no actor, no permission, no audit row per "
        "attempt; it is not a workflow and stays the outbox's own"
    ),
}
# Bulk writers that put a status column into rows they insert by the thousand (tuples for executemany/COPY,
# which the scan cannot see and does not need to): the scale seeder builds a benchmark data set in a state
# distribution, never through a request, and a transition per row would cost hours at a million rows.
BULK = {
    "marketplace/seed/scale.py": "bulk-inserts benchmark rows with their status column",
}


def _status_writes(source: str) -> list[tuple[int, str]]:
    found = []

    def target_writes(target) -> bool:
        if isinstance(target, ast.Attribute):
            return target.attr == "status"
        if isinstance(target, (ast.Tuple, ast.List)):
            return any(target_writes(t) for t in target.elts)
        if isinstance(target, ast.Starred):
            return target_writes(target.value)
        return False

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and any(target_writes(t) for t in node.targets):
            found.append((node.lineno, "assignment to .status"))
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and target_writes(node.target):
            found.append((node.lineno, "assignment to .status"))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "setattr" and len(node.args) >= 2 \
                    and isinstance(node.args[1], ast.Constant) and node.args[1].value == "status":
                found.append((node.lineno, 'setattr(…, "status", …)'))
            if isinstance(func, ast.Attribute) and func.attr == "values":
                keys = {k.arg for k in node.keywords}
                for arg in node.args:
                    if isinstance(arg, ast.Dict):
                        keys |= {k.value for k in arg.keys if isinstance(k, ast.Constant)}
                if "status" in keys:
                    found.append((node.lineno, "status in .values(…)"))
    return found


def _writes_by_file() -> dict[str, list[tuple[int, str]]]:
    result = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        writes = _status_writes(path.read_text(encoding="utf-8"))
        if writes:
            result[path.relative_to(ROOT).as_posix()] = writes
    return result


def test_the_scan_sees_every_way_of_writing_a_status():
    source = """
product.status = "published"
a.status, b = "x", 1
row.status: str = "draft"
setattr(product, "status", "published")
db.session.execute(update(Product).where(Product.id == 1).values(status="published"))
db.session.execute(update(Product).values({"status": "published"}))
product.name = "status"
values(name="x")
"""
    assert [line for line, _ in _status_writes(source)] == [2, 3, 4, 5, 6, 7]


def test_only_the_workflow_engine_assigns_a_status():
    outside = {path: writes for path, writes in _writes_by_file().items() if path not in EXEMPT and path not in BULK}
    assert outside == {}, "apply a transition (marketplace/workflows) instead of writing the status: " + repr(outside)


def test_every_exemption_is_still_needed():
    writes = _writes_by_file()
    assert [path for path in EXEMPT if path not in writes] == []
    assert all((ROOT / path).exists() for path in BULK)


# ---------------------------------------------------------------- templates ask, they do not restate the table

TEMPLATES = ROOT / "templates"
_COMPARISON = re.compile(r"([\w.]*status)\s*(==|!=|\bnot in\b|\bin\b)\s*(\(?\s*'[^']*'(?:\s*,\s*'[^']*')*\s*\)?)")
# Comparisons that only choose which words describe a record's status (a status label with its details),
# never whether something may be done: (template, what is compared).
DISPLAY_ONLY = {
    ("producer/inquiries.html", "a.status == 'accepted'"): "the producer's own offer, repeated",
    ("producer/inquiries.html", "a.status == 'withdrawn'"): "the producer's own offer, withdrawn",
    ("facilitator/inquiry.html", "a.status == 'accepted'"): "each producer's answer: the offer",
    ("facilitator/inquiry.html", "a.status == 'declined'"): "each producer's answer: declined",
    ("producer/storefront.html", "revision.status == 'rejected'"): "the moderator's reason for a rejected change",
    ("producer/product_form.html", "revision.status == 'pending'"): "what a pending change means for buyers",
    ("producer/product_form.html", "revision.status == 'rejected'"): "the moderator's reason for a rejected change",
    ("_macros/trade.html", "contract.status == 'active'"): "a running contract's badge stands out",
}


def _template_comparisons() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(TEMPLATES.rglob("*.html")):
        for match in _COMPARISON.finditer(path.read_text(encoding="utf-8")):
            subject = match.group(1)
            if subject.startswith("filters.") or "." not in subject:
                continue  # a list's status filter (the queue's, the users page's): a form value, not a record's
            found.add((path.relative_to(TEMPLATES).as_posix(), " ".join(match.group(0).split())))
    return found


def test_templates_ask_can_instead_of_comparing_status_strings():
    """A button or a form shows when `can('<transition>', obj)` says so (or `is_public`, `edits_wait_for_review`,
    `can('send_for_review', …)`); only the status labels listed above compare a status."""
    assert _template_comparisons() - set(DISPLAY_ONLY) == set()


def test_every_display_only_comparison_is_still_there():
    assert set(DISPLAY_ONLY) - _template_comparisons() == set()
