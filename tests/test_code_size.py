"""No module of product code over 600 lines, no function over 80 (issue 13), but those exempted
below, each with its reason. Run by ``make lint`` as well as with the suite: it reads the files
with ``ast`` and imports nothing of the project.

Product code is every Python file of the repository but the tests, the migrations (generated) and
what is installed (``.venv``, ``node_modules``). An exemption that no longer applies (the module
or function got shorter, moved or went away) fails too, so that the list only shrinks.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
SKIPPED_DIRECTORIES = {"tests", "migrations", "node_modules", "static", "__pycache__"}

# path → why it may stay over MAX_MODULE_LINES. Data modules belong here (the demo's data is
# YAML under demo/data/, so there is none today).
MODULE_EXEMPTIONS: dict[str, str] = {}

# "path:function" (methods as "path:Class.method") → why it may stay over MAX_FUNCTION_LINES.
FUNCTION_EXEMPTIONS: dict[str, str] = {}


def product_files(root: Path = ROOT) -> list[Path]:
    """The repository's Python files that are product code, sorted."""
    files = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if any(part.startswith(".") or part in SKIPPED_DIRECTORIES for part in parts[:-1]):
            continue
        files.append(path)
    return sorted(files)


def measure(source: str) -> tuple[int, dict[str, int]]:
    """A module's length in lines and each function's (nested ones too), by qualified name."""
    functions: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    # From the first decorator, as a reader sees the function.
                    first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                    functions[name] = (child.end_lineno or child.lineno) - first + 1
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return len(source.splitlines()), functions


def oversized(root: Path = ROOT) -> tuple[dict[str, int], dict[str, int]]:
    """Modules over MAX_MODULE_LINES and functions over MAX_FUNCTION_LINES, with their lengths."""
    modules: dict[str, int] = {}
    functions: dict[str, int] = {}
    for path in product_files(root):
        relative = path.relative_to(root).as_posix()
        lines, lengths = measure(path.read_text(encoding="utf-8"))
        if lines > MAX_MODULE_LINES:
            modules[relative] = lines
        for name, length in lengths.items():
            if length > MAX_FUNCTION_LINES:
                functions[f"{relative}:{name}"] = length
    return modules, functions


@pytest.fixture(scope="module")
def measured():
    return oversized()


def test_no_module_over_600_lines_but_the_exempted(measured):
    modules, _ = measured
    unexempted = {path: lines for path, lines in modules.items() if path not in MODULE_EXEMPTIONS}
    assert unexempted == {}, (
        f"Modules over {MAX_MODULE_LINES} lines: split them by concern (or, for data, exempt "
        f"them with a reason): {unexempted}"
    )


def test_no_function_over_80_lines_but_the_exempted(measured):
    _, functions = measured
    unexempted = {name: n for name, n in functions.items() if name not in FUNCTION_EXEMPTIONS}
    assert unexempted == {}, (
        f"Functions over {MAX_FUNCTION_LINES} lines: split where a name explains a part: "
        f"{unexempted}"
    )


def test_every_exemption_still_applies_and_says_why(measured):
    modules, functions = measured
    stale = sorted(set(MODULE_EXEMPTIONS) - set(modules)) + sorted(
        set(FUNCTION_EXEMPTIONS) - set(functions)
    )
    assert stale == [], f"Exempted but within the limits (or gone): remove them: {stale}"
    unexplained = [
        name
        for name, reason in {**MODULE_EXEMPTIONS, **FUNCTION_EXEMPTIONS}.items()
        if len(reason.split()) < 4
    ]
    assert unexplained == [], f"Exemptions without a reason: {unexplained}"


def test_the_measure_finds_long_modules_and_functions_and_skips_tests(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    long_function = f"@decorated\ndef long():\n{body}\n"
    short_method = "class Holder:\n    def short(self):\n        return 1\n"
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text(
        long_function + short_method + "\n" * MAX_MODULE_LINES
    )
    for skipped in ("tests", "app/migrations", ".venv"):
        (tmp_path / skipped).mkdir(parents=True)
        (tmp_path / skipped / "big.py").write_text(long_function + "\n" * MAX_MODULE_LINES)

    modules, functions = oversized(tmp_path)

    assert modules == {"app/views.py": MAX_MODULE_LINES + MAX_FUNCTION_LINES + 5}
    # The decorator, the def line and the body: one line over the limit.
    assert functions == {"app/views.py:long": MAX_FUNCTION_LINES + 2}
    assert measure(short_method)[1] == {"Holder.short": 2}
