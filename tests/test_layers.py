"""The rooms of the house hold (issue 18): a package's services know nothing of HTTP requests, and
no two packages' services import each other, not even through a deferred import."""
import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parent.parent / "portal"
HTTP_ONLY = {"request", "session", "abort", "g", "redirect", "flash", "make_response"}


def _services() -> dict[str, Path]:
    return {f"portal.{path.parent.name}.services": path for path in sorted(PORTAL.glob("*/services.py"))}


def _imports(path: Path) -> list[ast.ImportFrom | ast.Import]:
    """Every import in the module, the ones inside functions too."""
    return [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, (ast.Import, ast.ImportFrom))]


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in _imports(path):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_services_use_no_request_session_or_abort():
    offenders = {
        f"{name}: {', '.join(sorted(alias.name for alias in node.names if alias.name in HTTP_ONLY))}"
        for name, path in _services().items() for node in _imports(path)
        if isinstance(node, ast.ImportFrom) and node.module == "flask"
        and any(alias.name in HTTP_ONLY for alias in node.names)}
    assert offenders == set()


def test_no_two_packages_services_import_each_other():
    services = _services()
    graph = {name: {other for other in services if other != name and other in _imported_modules(path)}
             for name, path in services.items()}

    def cycle_from(start: str, node: str, seen: tuple[str, ...]) -> tuple[str, ...] | None:
        for neighbour in sorted(graph[node]):
            if neighbour == start:
                return (*seen, start)
            if neighbour not in seen:
                found = cycle_from(start, neighbour, (*seen, neighbour))
                if found:
                    return found
        return None

    cycles = {" -> ".join(found) for name in graph if (found := cycle_from(name, name, (name,)))}
    assert cycles == set()


ARCHITECTURE = PORTAL.parent / "docs" / "architecture.md"


def _map_section() -> str:
    text = ARCHITECTURE.read_text()
    start = text.index("## The map")
    return text[start:text.index("\n## ", start + 1)]


def test_the_architecture_map_names_every_module_and_only_modules_that_exist():
    section = _map_section()
    import re

    listed = {}
    for paragraph in section.split("\n\n"):
        heading = re.match(r"\*\*`?(\w+)/`?\*\*|\*\*Shared\*\*", paragraph)
        if heading:
            package = heading.group(1) or ""
            listed[package] = set(re.findall(r"`(\w+\.py)`", paragraph))
    on_disk = {"": {path.name for path in PORTAL.glob("*.py")} - {"__init__.py"}}
    for directory in sorted(p for p in PORTAL.iterdir() if (p / "__init__.py").exists()):
        on_disk[directory.name] = {path.name for path in directory.glob("*.py")} - {"__init__.py"}
    assert {package: sorted(names) for package, names in listed.items()} == \
        {package: sorted(names) for package, names in on_disk.items()}


def test_every_route_is_declared_in_its_packages_url_table_and_nowhere_else():
    # The URL table of a package is its urls.py: no view module defines a blueprint or a route.
    offenders = sorted(
        f"{path.relative_to(PORTAL)}: {line.strip()}"
        for path in PORTAL.glob("*/*.py") if path.name != "urls.py"
        for line in path.read_text().splitlines()
        if "Blueprint(" in line or line.lstrip().startswith(("@bp.", "bp.add_url_rule")))
    assert offenders == []


def test_every_endpoint_of_the_app_comes_from_a_url_table(app):
    from portal import routing  # noqa: F401 - the helper the tables use
    tables = {path.parent.name for path in PORTAL.glob("*/urls.py")}
    packages = {app.blueprints[name].import_name.split(".")[1] for name in app.blueprints}
    assert packages <= tables
    assert all(app.blueprints[name].import_name.endswith(".urls") for name in app.blueprints)
