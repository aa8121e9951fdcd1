"""The README and docs/ link to each other: every relative link must reach a file, and every
#anchor a heading of its page, slugged as GitHub slugs them. No servers needed."""

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt

REPO = Path(__file__).resolve().parents[2]
README_MAX_LINES = 220

_parser = MarkdownIt("commonmark").enable("table")


def _tokens(path):
    return _parser.parse(path.read_text(encoding="utf-8"))


def _plain_text(inline):
    """The text of an inline token as GitHub renders it: code spans keep their content, markup goes."""
    return "".join(child.content for child in inline.children or () if child.type in ("text", "code_inline"))


def github_slug(text):
    """GitHub's heading anchor (github-slugger): lower-case, drop punctuation but hyphens and
    spaces, each space a hyphen."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def heading_anchors(path):
    """The anchors of a page's headings, duplicates numbered -1, -2, ... as GitHub numbers them."""
    anchors, occurrences = [], {}
    tokens = _tokens(path)
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        slug = base = github_slug(_plain_text(tokens[i + 1]))
        while slug in occurrences:
            occurrences[base] += 1
            slug = f"{base}-{occurrences[base]}"
        occurrences[slug] = 0
        anchors.append(slug)
    return anchors


def links(path):
    """(text, target) of every link and image of a page; fenced code and code spans hold none."""
    found = []
    for token in _tokens(path):
        children = token.children or ()
        for i, child in enumerate(children):
            if child.type == "image":
                found.append((_plain_text(child), child.attrGet("src")))
            elif child.type == "link_open":
                text = []
                for inner in children[i + 1 :]:
                    if inner.type == "link_close":
                        break
                    text.append(inner.content)
                found.append(("".join(text), child.attrGet("href")))
    return found


def broken_links(paths):
    """Every relative link of the pages that reaches no file, or no heading: 'file: [text](target): why'."""
    broken = []
    anchors_of = {}
    for page in paths:
        page = Path(page).resolve()
        for text, target in links(page):
            parts = urlsplit(target)
            if parts.scheme or target.startswith("//"):  # http(s), mailto and the like
                continue
            where = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            shown = page.relative_to(REPO) if page.is_relative_to(REPO) else page
            problem = None
            if not where.exists():
                problem = "no such file"
            elif parts.fragment and where.is_file() and where.suffix == ".md":
                if where not in anchors_of:
                    anchors_of[where] = heading_anchors(where)
                if unquote(parts.fragment) not in anchors_of[where]:
                    problem = f"no heading #{parts.fragment} in {where.name}"
            if problem:
                broken.append(f"{shown}: [{text}]({target}): {problem}")
    return broken


def project_pages():
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def test_every_link_of_the_readme_and_docs_reaches_its_file_and_heading():
    broken = broken_links(project_pages())
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_the_checker_catches_a_missing_file_and_a_missing_heading(tmp_path):
    (tmp_path / "other.md").write_text("# Other page\n\n## Why not? Five ways, side by side\n\n## Notes\n\n## Notes\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n"
        "[fine](other.md#why-not-five-ways-side-by-side) [second notes](other.md#notes-1) [top](#page)\n"
        "[web](https://example.com/nowhere.md) ![picture](missing.png)\n"
        "[gone](nowhere.md) [wrong heading](other.md#no-such-heading) [bad here](#nothing)\n\n"
        "```\n[in a fence](nowhere-either.md)\n```\n\n`[in code](nor-here.md)`\n"
    )
    broken = broken_links([page])
    assert len(broken) == 4, broken
    assert any("[picture](missing.png): no such file" in line for line in broken)
    assert any("[gone](nowhere.md): no such file" in line for line in broken)
    assert any("[wrong heading](other.md#no-such-heading): no heading" in line for line in broken)
    assert any("[bad here](#nothing): no heading" in line for line in broken)


def test_github_slugs():
    assert github_slug("Why not just lock the row? Five ways, side by side") == (
        "why-not-just-lock-the-row-five-ways-side-by-side"
    )
    assert github_slug("Past one of everything: the HA stack") == "past-one-of-everything-the-ha-stack"
    assert github_slug("Measured here, one run (`python -m crash_sim bench --only scale`, HA=1)") == (
        "measured-here-one-run-python--m-crash_sim-bench---only-scale-ha1"
    )


def test_the_readme_reads_in_five_minutes():
    lines = (REPO / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines, at most {README_MAX_LINES}"
