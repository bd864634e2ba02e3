"""The house's rules, checked: the layer contracts (import-linter), no import circles, a linted tree."""

from __future__ import annotations

import shutil
import subprocess

import grimp
import pytest

from conftest import REPO


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan); lazy imports inside functions count too."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in graph.find_modules_directly_imported_by(module):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                other = stack.pop()
                group.append(other)
                if other == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_circles():
    graph = grimp.build_graph("envsound", exclude_type_checking_imports=True)
    assert _cycles(graph) == []


def test_layers_hold():
    lint = shutil.which("lint-imports", path=str(REPO / ".venv" / "bin")) or shutil.which("lint-imports")
    if lint is None:
        pytest.skip("import-linter not installed")
    result = subprocess.run([lint], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_planted_back_edge_is_caught(tmp_path):
    """The contract can fail: a copy of the package where features imports training breaks it."""
    shutil.copytree(REPO / "src" / "envsound", tmp_path / "envsound")
    (tmp_path / "envsound" / "features" / "planted.py").write_text("from envsound.training import loop  # noqa: F401\n")
    config = (REPO / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(config)
    lint = shutil.which("lint-imports", path=str(REPO / ".venv" / "bin")) or shutil.which("lint-imports")
    if lint is None:
        pytest.skip("import-linter not installed")
    result = subprocess.run([lint], cwd=tmp_path, capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0 and "envsound.features.planted" in result.stdout, result.stdout[-2000:]


def test_the_documented_layout_is_the_tree():
    """The contributing page's layout is generated from the modules' docstrings; regenerate it
    with `python scripts/layout.py --docs` after adding, moving or redescribing a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("layout", REPO / "scripts" / "layout.py")
    layout = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(layout)
    page = layout.PAGE.read_text()
    assert layout.page_with_layout(page) == page, "the layout in docs/contributing.md is stale: run python scripts/layout.py --docs"


def test_the_python_the_readme_shows_names_what_exists():
    """The README's Python examples once called envsound.training.config.RunConfig, which had
    moved: every envsound.NAME.NAME chain and method called on a Predictor there must resolve."""
    import re

    import envsound
    from envsound.inference.predict import Predictor

    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    blocks = [block for page in pages for block in re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)]
    assert blocks
    for code in blocks:
        for chain in re.findall(r"\benvsound((?:\.\w+)+)", code):
            target = envsound
            for part in chain.strip(".").split("."):
                target = getattr(target, part)  # an AttributeError names what the README got wrong
        for method in re.findall(r"\bpredictor\.(\w+)\(", code):
            assert hasattr(Predictor, method), f"README calls Predictor.{method}, which does not exist"


def test_the_site_home_is_the_readme_and_the_readme_is_short():
    """docs/index.md is generated from README.md (one text to edit); the README is a front page,
    not a lab notebook: at most 250 lines, the rest lives on the docs site."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("site_index", REPO / "scripts" / "site_index.py")
    site = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(site)
    readme = (REPO / "README.md").read_text()
    assert site.site_index(readme) == site.INDEX.read_text(), "docs/index.md is stale: run python scripts/site_index.py"
    assert len(readme.splitlines()) <= 250


def test_every_page_is_in_the_site_navigation():
    import re

    nav = set(re.findall(r":\s*(\S+\.md)\s*$", (REPO / "mkdocs.yml").read_text(), flags=re.M))
    pages = {p.name for p in (REPO / "docs").glob("*.md")}
    assert pages == nav, f"pages outside the navigation: {sorted(pages - nav)}; missing pages: {sorted(nav - pages)}"


def test_the_benchmark_index_is_current_and_every_script_has_a_study():
    import importlib.util

    spec = importlib.util.spec_from_file_location("benchmark_index", REPO / "scripts" / "benchmark_index.py")
    index = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(index)
    assert index.unassigned() == [], "give each new benchmark script a study in scripts/benchmark_index.py"
    assert index.page() == index.PAGE.read_text(), "docs/benchmarks.md is stale: run python scripts/benchmark_index.py"
