"""Write the docs site's home page, docs/index.md, from README.md.

    python scripts/site_index.py

The README is the front page on a code host and the site's home is the same text, so there is one
copy to edit: links into docs/ are made relative to the site, and the paragraph that points at the
site is left out. tests/test_house.py fails when docs/index.md is stale.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
INDEX = REPO / "docs" / "index.md"
NOTICE = "<!-- generated from README.md by scripts/site_index.py: edit the README, then rerun it -->\n"


def site_index(readme: str) -> str:
    text = re.sub(r"\*\*Documentation\*\*:.*?\n\n", "", readme, count=1, flags=re.S)
    text = text.replace("](docs/", "](")
    text = re.sub(r"\]\((?!https?://|#)([^)]+)\)", lambda m: f"]({m.group(1)})" if (REPO / "docs" / m.group(1).split("#")[0]).exists() else f"]({_outside(m.group(1))})", text)
    return NOTICE + text


def _outside(target: str) -> str:
    """A link to a repository file outside docs/ (the site does not carry it): its path, as text."""
    raise SystemExit(f"README links to {target}, which the site does not carry; link into docs/ or name the path in backticks")


if __name__ == "__main__":
    INDEX.write_text(site_index((REPO / "README.md").read_text()))
    print(f"wrote {INDEX.relative_to(REPO)}")
