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
