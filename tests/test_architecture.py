"""The import rules of docs/architecture.md, read from the source with ``ast``.

Packages by domain hold the rules; blueprints by audience hold the web. A domain never
imports a blueprint, the shared web helpers or Flask's request machinery; a blueprint never
imports another blueprint; the domains import each other only along the edges named here,
which form no circle. Every import counts, including those inside functions.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"

DOMAINS = {"workplan", "surveys", "journeys", "kpis", "accounts"}
BLUEPRINTS = {"auth", "respond", "portal", "manage", "api", "main"}
# What every layer may build on: the models, the unbound extensions, shared utilities.
FOUNDATION = {"models", "common"}
WEB = "web"  # helpers shared by the blueprints
# Modules that assemble everything: the factory, the commands, the demo data, and what
# runs it in production (server profile, logs, metrics, readiness).
COMPOSITION = {"__init__", "cli", "demo", "extensions", "ops"}

# The only imports allowed from one domain to another (importer -> imported).
DOMAIN_EDGES = {
    ("journeys", "surveys"),
    ("journeys", "workplan"),
    ("kpis", "surveys"),
    ("kpis", "workplan"),
}
# Flask modules a domain may not import: it receives what a request knows as arguments.
FLASK_MODULES = {"flask", "flask_login", "flask_wtf", "flask_limiter", "werkzeug.wrappers"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str = "") -> set[str]:
    """Every module ``path`` (the module ``module``) imports, at the top or inside a
    function; relative imports are resolved against ``module``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            # "from app import extensions" imports the module app.extensions
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _package(module: str) -> str | None:
    """The top-level part of the application a module belongs to (``app.kpis.scope`` ->
    ``kpis``; ``app`` itself -> ``__init__``); None outside the application."""
    parts = module.split(".")
    if parts[0] != "app":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def application_graph() -> dict[str, set[str]]:
    """module -> the application modules and Flask modules it imports."""
    graph: dict[str, set[str]] = {}
    for path in sorted(APP.rglob("*.py")):
        module = _module_name(path)
        graph[module] = {
            name
            for name in _imports(path, module)
            if name.split(".")[0] in {"app", *FLASK_MODULES} or name in FLASK_MODULES
        }
    return graph


def package_edges(graph: dict[str, set[str]]) -> dict[str, set[tuple[str, str]]]:
    """(importing package, imported package) -> the module pairs behind it."""
    edges: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for module, imported in graph.items():
        source = _package(module)
        for name in imported:
            target = _package(name)
            if target is not None and target != source:
                edges[(source, target)].add((module, name))
    return edges


GRAPH = application_graph()
EDGES = package_edges(GRAPH)


def test_every_package_of_the_application_has_a_place_in_the_rules():
    packages = {_package(m) for m in GRAPH}
    unknown = packages - DOMAINS - BLUEPRINTS - FOUNDATION - COMPOSITION - {WEB}
    assert not unknown, f"add {sorted(unknown)} to the rules of this test and docs/architecture.md"


@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_a_domain_imports_no_blueprint_no_web_helper_and_no_flask(domain):
    wrong = sorted(
        f"{module} imports {name}"
        for module, imported in GRAPH.items()
        if _package(module) == domain
        for name in imported
        if _package(name) in BLUEPRINTS | {WEB, "cli", "demo", "extensions", "ops", "__init__"}
        or name.split(".")[0] in FLASK_MODULES
    )
    assert not wrong, "\n".join(wrong)


def test_a_blueprint_imports_no_other_blueprint():
    wrong = sorted(
        f"{module} imports {name}"
        for (source, target), pairs in EDGES.items()
        if source in BLUEPRINTS and target in BLUEPRINTS
        for module, name in pairs
    )
    assert not wrong, "\n".join(wrong)


def test_shared_layers_import_no_blueprint():
    wrong = sorted(
        f"{module} imports {name}"
        for (source, target), pairs in EDGES.items()
        if source in {WEB, *FOUNDATION} and target in BLUEPRINTS
        for module, name in pairs
    )
    assert not wrong, "\n".join(wrong)


def test_the_foundation_imports_no_domain():
    wrong = sorted(
        f"{module} imports {name}"
        for (source, target), pairs in EDGES.items()
        if source in FOUNDATION and target in DOMAINS | {WEB}
        for module, name in pairs
    )
    assert not wrong, "\n".join(wrong)


def test_domains_import_each_other_only_along_the_named_edges():
    used = {
        (source, target) for (source, target) in EDGES if source in DOMAINS and target in DOMAINS
    }
    unexpected = used - DOMAIN_EDGES
    details = [
        f"{module} imports {name}" for edge in sorted(unexpected) for module, name in EDGES[edge]
    ]
    assert not unexpected, "edges not in DOMAIN_EDGES:\n" + "\n".join(sorted(details))


def test_the_named_domain_edges_form_no_circle():
    order: list[str] = []
    remaining = {d: {t for s, t in DOMAIN_EDGES if s == d} for d in DOMAINS}
    while remaining:
        leaves = sorted(d for d, targets in remaining.items() if not targets & remaining.keys())
        assert leaves, f"a circle among {sorted(remaining)}"
        order.extend(leaves)
        for leaf in leaves:
            del remaining[leaf]
    assert set(order) == DOMAINS


def test_no_module_imports_itself_back_through_a_circle():
    """Module-level circles (a.py -> b.py -> a.py) anywhere in the application."""
    modules = {m: {n for n in names if n in GRAPH} for m, names in GRAPH.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for name in sorted(modules[module]):
            if name == module or name.startswith(module + ".") or module.startswith(name + "."):
                continue  # a package and its own modules
            if state.get(name) == 1:
                return [*stack[stack.index(name) :], name]
            if name not in state and (cycle := visit(name)):
                return cycle
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(modules):
        if module not in state and (cycle := visit(module)):
            pytest.fail(" -> ".join(cycle))


def test_the_rules_catch_what_they_forbid(tmp_path):
    """The checks read real import statements: a domain importing a blueprint inside a
    function, and a blueprint importing another, are both seen."""
    domain_file = tmp_path / "bad_domain.py"
    domain_file.write_text(
        "def f():\n    from app.respond.routes import bp\n    from flask import request\n"
    )
    blueprint_file = tmp_path / "bad_blueprint.py"
    blueprint_file.write_text("from app.manage import views_activities\n")
    relative_file = tmp_path / "relative.py"
    relative_file.write_text("from ..respond import routes\nfrom . import scope\n")
    assert {"app.respond.routes", "flask"} <= _imports(domain_file)
    assert "app.manage.views_activities" in _imports(blueprint_file)
    assert {"app.respond.routes", "app.kpis.scope"} <= _imports(relative_file, "app.kpis.x")
    assert _package("app.manage.views_activities") == "manage"
