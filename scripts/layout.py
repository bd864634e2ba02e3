"""Print the package layout with each module's one-line purpose (its docstring's first sentence).

    python scripts/layout.py            # print it
    python scripts/layout.py --docs     # write it into docs/contributing.md between the layout markers

The "Layout" section of the contributing page is this output, so it cannot name a file that does
not exist; tests/test_house.py fails when they differ.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "src" / "envsound"
START, END = "<!-- layout:start -->", "<!-- layout:end -->"


def purpose(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    sentence = " ".join(doc.split("\n\n")[0].split()).split(". ")[0].rstrip(".")
    if len(sentence) <= 96:
        return sentence
    return sentence[:95].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def layout() -> str:
    lines = ["```", "src/envsound/"]
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.name == "__init__.py" and rel.parent != Path("."):
            continue
        lines.append(f"  {str(rel):32s} {purpose(path)}")
    lines.append("```")
    return "\n".join(lines)


PAGE = REPO / "docs" / "contributing.md"


def page_with_layout(text: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{layout()}\n{END}{tail}"


if __name__ == "__main__":
    if "--docs" in sys.argv:
        PAGE.write_text(page_with_layout(PAGE.read_text()))
    else:
        print(layout())
