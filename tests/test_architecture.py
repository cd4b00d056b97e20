"""The shape of the code: imports point one way, nothing imports in a circle, files stay small.

The imports are read from the source (every ``import`` statement, those inside functions too),
not from what happens to be loaded, so a cycle hidden by a function-local import still fails.
``from package import module`` counts as an import of the module, as import-linter counts it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "config", "handlers", "locales", "models", "storage")
# Which of the project's packages each package may import. The assembly (bot) is on top,
# the chat (handlers) below it, the domain (models) under the chat, storage at the bottom.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "storage": frozenset(),
    "models": frozenset({"storage"}),
    "config": frozenset({"models"}),
    "locales": frozenset({"config", "models"}),
    "handlers": frozenset({"config", "locales", "models", "storage"}),
    "bot": frozenset({"config", "handlers", "locales", "models", "storage"}),
}
# Packages that must run without python-telegram-bot: the domain and what it stands on.
NO_TELEGRAM = ("config", "locales", "models", "storage")
MAX_LINES = 400

Graph = dict[str, set[str]]


def project_modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Every module of the packages under ``root``, by dotted name (migration scripts left out)."""
    modules = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if "versions" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imported_names(module: str, path: Path) -> set[str]:
    """The dotted names ``module`` imports, relative imports resolved."""
    names: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph(root: Path, packages: Iterable[str]) -> Graph:
    """Module → the project modules it imports (the deepest module each name falls in)."""
    modules = project_modules(root, packages)
    graph: Graph = {}
    for module, path in modules.items():
        targets = set()
        names = imported_names(module, path)
        for name in names:
            # "from package import module" names the module; "from module import name" the module.
            if any(other.startswith(name + ".") and other in modules for other in names):
                continue
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def third_party_imports(root: Path, package: str) -> dict[str, set[str]]:
    """Module → the top-level names it imports."""
    return {
        module: {name.split(".")[0] for name in imported_names(module, path)}
        for module, path in project_modules(root, [package]).items()
    }


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer_violations(graph: Graph) -> list[str]:
    return [
        f"{module} imports {target}"
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if (source := module.split(".")[0]) != (sink := target.split(".")[0])
        and sink not in MAY_IMPORT[source]
    ]


# --- the rules, on the project itself ------------------------------------------------------


def test_no_module_imports_in_a_circle() -> None:
    assert cycles(import_graph(ROOT, PACKAGES)) == []


def test_imports_point_one_way() -> None:
    assert layer_violations(import_graph(ROOT, PACKAGES)) == []


@pytest.mark.parametrize("package", NO_TELEGRAM)
def test_the_domain_never_imports_telegram(package: str) -> None:
    offenders = {
        module: sorted(names & {"telegram"})
        for module, names in third_party_imports(ROOT, package).items()
        if "telegram" in names
    }
    assert offenders == {}


def test_no_production_file_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in project_modules(ROOT, PACKAGES).values()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


# --- the checks themselves can fail ----------------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_cycle_hidden_in_a_function_is_found(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "models/__init__.py": "",
            "models/people.py": "def merge():\n    from models.invites import Invite\n",
            "models/invites.py": "from models.people import merge\n",
        },
    )
    assert cycles(import_graph(tmp_path, ["models"])) == [["models.invites", "models.people"]]


def test_an_import_against_the_layers_is_found(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "models/__init__.py": "",
            "models/cases.py": "from handlers import cards\n",
            "handlers/__init__.py": "",
            "handlers/cards.py": "from models.cases import Case\nfrom . import replies\n",
            "handlers/replies.py": "",
            "bot/__init__.py": "",
        },
    )
    graph = import_graph(tmp_path, ["models", "handlers", "bot"])
    assert graph["handlers.cards"] == {"models.cases", "handlers.replies"}
    assert layer_violations(graph) == ["models.cases imports handlers.cards"]
    assert cycles(graph) == [["handlers.cards", "models.cases"]]


def test_telegram_in_the_domain_is_found(tmp_path: Path) -> None:
    _tree(tmp_path, {"models/__init__.py": "", "models/cards.py": "async def f():\n    import telegram\n"})
    assert "telegram" in third_party_imports(tmp_path, "models")["models.cards"]
