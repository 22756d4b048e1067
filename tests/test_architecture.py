"""The package's import graph: no circles, and no import from a lower layer to a higher one.

Every ``import`` and ``from ... import`` of ``ocr_cli`` modules counts, those inside
functions too (a circle through a deferred import is still a circle).
``python tests/test_architecture.py`` prints the graph by layer.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ocr_cli"
# Lowest first; a module may import from its own layer and those before it.
LAYERS = (
    ("foundation", ("ocr_cli", "ocr_cli.errors", "ocr_cli.layout", "ocr_cli.files", "ocr_cli.cores", "ocr_cli.memory")),
    ("network", ("ocr_cli.net",)),
    ("pipeline", ("ocr_cli.pipeline",)),
    ("output", ("ocr_cli.output",)),
    ("command line", ("ocr_cli.inputs", "ocr_cli.batch", "ocr_cli.entry", "ocr_cli.console", "ocr_cli.cli",
                      "ocr_cli.__main__", "ocr_cli.api")),
)


def modules():
    """``{module name: path}`` of every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path, known):
    """The package modules ``path`` imports (a ``from X import y`` of a module ``X.y``
    counts as ``X.y``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module
                     for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in known)
    return found


def graph():
    known = modules()
    return {name: imports(path, known) - {name} for name, path in known.items()}


def layer(module):
    """The index in :data:`LAYERS` of ``module``'s layer."""
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes if p != "ocr_cli") or module == "ocr_cli":
            return index
    raise AssertionError(f"{module} belongs to no layer")


def cycles(edges):
    """The circles of ``edges`` (``{node: set of nodes}``), each as a list of nodes."""
    found, state, stack = [], {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for other in sorted(edges.get(node, ())):
            if state.get(other) == "open":
                found.append(stack[stack.index(other):] + [other])
            elif other not in state:
                visit(other)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_every_module_has_a_layer():
    for module in graph():
        layer(module)


def test_no_import_climbs_to_a_higher_layer():
    upward = [(a, b) for a, targets in graph().items() for b in targets if layer(b) > layer(a)]
    assert not upward, upward


def test_no_import_circles():
    assert cycles(graph()) == []


def test_the_checks_catch_a_circle_and_a_climb():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert layer("ocr_cli.cli") > layer("ocr_cli.pipeline.reader") > layer("ocr_cli.net.model") > layer("ocr_cli.errors")


if __name__ == "__main__":
    edges = graph()
    for index, (name, _) in enumerate(LAYERS):
        print(f"{name}:")
        for module in sorted(m for m in edges if layer(m) == index):
            targets = sorted(edges[module])
            print(f"  {module:<30} -> {', '.join(t.removeprefix('ocr_cli.') for t in targets) or '-'}")
    print(f"circles: {cycles(edges) or 'none'}")
