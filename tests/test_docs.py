"""The project's docs stand on their own: every relative link in the README
and docs/ names a file inside the repository that exists."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_relative_links_stay_inside_the_repository():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted(ROOT.glob("bindings/*/*.md"))]
    problems = []
    for page in pages:
        for target in LINK.findall(page.read_text()):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # a URL or an anchor on the page
            path = (page.parent / target.split("#")[0]).resolve()
            if not path.is_relative_to(ROOT):
                problems.append(f"{page.relative_to(ROOT)}: {target} leaves the repository")
            elif not path.exists():
                problems.append(f"{page.relative_to(ROOT)}: {target} does not exist")
    assert not problems, "\n".join(problems)
