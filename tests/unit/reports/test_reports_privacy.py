"""k-anonymity and complementary suppression, checked against a linear-algebra oracle."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from standardiste.reports.privacy import Node, Tree, known_cells, suppressed_cells


def _tree(layout: dict[str, dict[str, dict[str, int]]]) -> Tree:
    """Build a tree from {region: {site: {team: size}}}."""
    parent: dict[Node, Node | None] = {("national", "national"): None}
    sizes = {}
    for region, sites in layout.items():
        parent[("region", region)] = ("national", "national")
        for site, teams in sites.items():
            parent[("site", site)] = ("region", region)
            for team, size in teams.items():
                parent[("team", team)] = ("site", site)
                sizes[team] = size
    return Tree(parent, sizes)


def recoverable(tree: Tree, hidden: set[Node]) -> set[Node]:
    """Return hidden cells whose value is a linear combination of published cells."""
    teams = sorted(n for n in tree.parent if n[0] == "team")
    index = {t: i for i, t in enumerate(teams)}

    def vector(node: Node) -> np.ndarray:
        v = np.zeros(len(teams))
        stack = [node]
        while stack:
            n = stack.pop()
            if n[0] == "team":
                v[index[n]] = 1.0
            stack.extend(tree.children.get(n, []))
        return v

    published = [vector(n) for n in tree.parent if n not in hidden]
    base = np.linalg.matrix_rank(np.array(published)) if published else 0
    out = set()
    for node in hidden:
        if not vector(node).any():
            continue
        stacked = np.array([*published, vector(node)])
        if np.linalg.matrix_rank(stacked) == base:
            out.add(node)
    return out


LAYOUT = {
    "north": {"lille": {"l1": 6, "l2": 4}, "metz": {"m1": 5}},
    "south": {"nice": {"n1": 7}},
}


def test_team_of_four_is_hidden_and_cannot_be_recovered() -> None:
    tree = _tree(LAYOUT)
    hidden = suppressed_cells(tree, 5)
    assert ("team", "l2") in hidden
    assert ("team", "l1") in hidden  # complementary: lille - l1 would give l2
    assert recoverable(tree, hidden) == set()
    assert ("national", "national") not in hidden
    assert ("site", "metz") not in hidden and ("team", "m1") not in hidden


def test_region_total_does_not_reveal_the_hidden_site() -> None:
    tree = _tree({"r": {"a": {"a1": 3}, "b": {"b1": 8}}, "s": {"c": {"c1": 9}}})
    hidden = suppressed_cells(tree, 5)
    assert ("site", "a") in hidden
    assert ("site", "b") in hidden and ("team", "b1") in hidden  # r - b would give a
    assert recoverable(tree, hidden) == set()


def test_k_below_five_is_never_used() -> None:
    from standardiste.reports.settings import MIN_K

    assert MIN_K == 5


def test_demo_like_tree_hides_every_small_group_and_its_complements() -> None:
    tree = _tree({"occ": {"tls": {"a": 3, "b": 3}, "mtp": {"c": 3}}, "idf": {"par": {"d": 3}}})
    hidden = suppressed_cells(tree, 5)
    assert {n for n, size in tree.size.items() if size < 5} <= hidden
    assert ("national", "national") not in hidden
    # Toulouse (6) and the national total (12) may both show: their difference is a group of 6.
    assert len(set(tree.parent) - hidden) in (1, 2)
    assert recoverable(tree, hidden) == set()


sizes = st.integers(min_value=1, max_value=12)
layouts = st.dictionaries(
    st.sampled_from("rstu"),
    st.dictionaries(
        st.sampled_from("abcdefgh"),
        st.dictionaries(st.sampled_from("0123456"), sizes, min_size=1, max_size=4),
        min_size=1,
        max_size=3,
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=150, deadline=None)
@given(layouts, st.integers(min_value=5, max_value=9))
def test_no_hidden_cell_is_ever_recoverable(raw, k) -> None:
    # Make ids unique across the tree (sites and teams are global ids).
    layout = {
        r: {f"{r}{s}": {f"{r}{s}{t}": n for t, n in teams.items()} for s, teams in sites.items()}
        for r, sites in raw.items()
    }
    tree = _tree(layout)
    hidden = suppressed_cells(tree, k)
    assert all(tree.size[n] >= k for n in tree.parent if n not in hidden)
    assert recoverable(tree, hidden) == set()
    known = known_cells(tree, hidden)
    assert known & hidden == set()
    for node, kids in tree.children.items():
        unknown = sum(tree.size[c] for c in kids if c not in known)
        if node in known:
            assert unknown == 0 or unknown >= k  # a residual group is a group too


def test_two_small_sites_do_not_leak_as_a_residual_group() -> None:
    tree = _tree({"r": {"big": {"b1": 8}, "x": {"x1": 2}, "y": {"y1": 2}}})
    hidden = suppressed_cells(tree, 5)
    # national - big would be x + y: 4 agents. Hiding big leaves a residual of 12 - 0 known.
    assert ("site", "big") in hidden
    assert recoverable(tree, hidden) == set()
