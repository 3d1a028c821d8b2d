"""The code is grouped by domain (README, "Map of the code"), and imports point one way: pages (views) import
services, never the other way round. Only the app factory registers the blueprints."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "marketplace"
DOMAINS = {"core", "catalog", "listings", "trade", "city", "accounts", "seed"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module `path` imports (a `from x import y` counts as x and as x.y, since y may be a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _is_views(module: str) -> bool:
    return module.rsplit(".", 1)[-1] == "views"


def test_only_the_app_factory_imports_a_views_module():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        if name == "marketplace":  # create_app registers the blueprints
            continue
        views = sorted(m for m in _imports(path) if m.startswith("marketplace.") and _is_views(m))
        if views:
            offenders[name] = views
    assert offenders == {}, "only create_app imports a page module (shared helpers go in the domain package or core/): " + repr(offenders)


# The benchmark's ceiling page exists only under BENCH_CEILING=1 (bench/run.py, a 404 otherwise) and renders the
# scale seeder's in-memory cards, so the ceiling differs from the catalog only by the database.
SEED_USERS = {"marketplace.core.main.views": "/_bench/ceiling, a benchmark-only page"}


def test_nothing_but_the_commands_imports_the_seeders():
    offenders = sorted(_module_name(p) for p in PACKAGE.rglob("*.py")
                       if not _module_name(p).startswith(("marketplace.seed", "marketplace.cli"))
                       and _module_name(p) not in SEED_USERS
                       and any(m.startswith("marketplace.seed") for m in _imports(p)))
    assert offenders == [], "seed/ is for commands only, never imported by a request: " + repr(offenders)


def test_the_code_lives_in_domain_packages_not_in_flat_folders():
    assert not (PACKAGE / "services").exists(), "services belong to their domain package (marketplace/<domain>/)"
    assert not (PACKAGE / "workflows").exists(), "workflow tables belong to their domain; the engine is core/workflow.py"
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages == DOMAINS | {"models"}, "a new top-level package: put it in a domain, or in core/"
    top = {p.name for p in PACKAGE.glob("*.py")}
    assert top == {"__init__.py", "config.py", "extensions.py", "cli.py"}, "shared modules live in core/"
