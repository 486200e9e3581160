"""k-anonymity with complementary suppression on the team < site < region < national tree.

R-STATS-1: agent figures are published only for groups of at least k agents, and a hidden cell
must not be recoverable from published ones. In this tree every parent is the exact sum of its
children, so a hidden cell is recoverable when (a) all its children are known, or (b) its parent
and all its siblings are known; and a known parent minus its known children reveals the sum of the
others, which must then hold at least k agents. We hide more cells until neither happens. Sizes are
roster sizes from the configuration, the same for every period, so the suppression pattern does
not change with the period and one period cannot be subtracted from another to reveal a cell.
"""

from __future__ import annotations

from collections.abc import Mapping

Node = tuple[str, str]  # (level, id)
DEPTH = {"team": 3, "site": 2, "region": 1, "national": 0}


class Tree:
    """Parent links and sizes of the agent-group tree."""

    def __init__(self, parent: Mapping[Node, Node | None], team_size: Mapping[str, int]) -> None:
        self.parent = dict(parent)
        self.children: dict[Node, list[Node]] = {n: [] for n in self.parent}
        for node, up in self.parent.items():
            if up is not None:
                self.children.setdefault(up, []).append(node)
        self.size: dict[Node, int] = {}
        for node in sorted(self.parent, key=lambda n: -DEPTH[n[0]]):
            if node[0] == "team":
                self.size[node] = team_size.get(node[1], 0)
            else:
                self.size[node] = sum(self.size.get(c, 0) for c in self.children.get(node, []))

    def siblings(self, node: Node) -> list[Node]:
        """Return the other children of a node's parent."""
        up = self.parent.get(node)
        return [] if up is None else [c for c in self.children[up] if c != node]


def known_cells(tree: Tree, hidden: set[Node]) -> set[Node]:
    """Return every cell a reader can compute from the published ones (fixpoint)."""
    known = {n for n in tree.parent if n not in hidden}
    grew = True
    while grew:
        grew = False
        for node in tree.parent:
            if node in known:
                continue
            kids = tree.children.get(node, [])
            up = tree.parent.get(node)
            by_kids = bool(kids) and all(c in known for c in kids)
            by_sibs = (
                up is not None and up in known and all(s in known for s in tree.siblings(node))
            )
            if by_kids or by_sibs:
                known.add(node)
                grew = True
    return known


def suppressed_cells(tree: Tree, k: int) -> set[Node]:
    """Return the cells to hide: primary (size < k) plus complementary ones."""
    hidden = {n for n, size in tree.size.items() if size < k}
    while True:
        known = known_cells(tree, hidden)
        leaks = sorted(
            (n for n in hidden if n in known), key=lambda n: (-DEPTH[n[0]], tree.size[n], n)
        )
        if leaks:
            hidden.add(_complement(tree, leaks, hidden, known))
            continue
        residual = _residual_leak(tree, hidden, known, k)
        if residual is None:
            return hidden
        hidden.add(residual)


def _residual_leak(tree: Tree, hidden: set[Node], known: set[Node], k: int) -> Node | None:
    """Find a known total whose unknown parts add up to fewer than k agents; return a cell to hide.

    Parent minus its known children gives the sum of the unknown ones: that sum is itself a
    group, so it must hold at least k agents too.
    """
    for node in sorted(tree.parent, key=lambda n: (-DEPTH[n[0]], n)):
        kids = tree.children.get(node, [])
        if node not in known or not kids:
            continue
        unknown = [c for c in kids if c not in known]
        if unknown and sum(tree.size[c] for c in unknown) < k:
            pool = [c for c in kids if c in known and c not in hidden]
            if pool:
                return min(pool, key=lambda n: (tree.size[n], n))
            if node not in hidden:
                return node
            up = tree.parent.get(node)
            while up is not None and up in hidden:
                up = tree.parent.get(up)
            if up is not None:
                return up
    return None


def _complement(tree: Tree, leaks: list[Node], hidden: set[Node], known: set[Node]) -> Node:
    """Pick one more cell to hide that breaks a leak, preferring the smallest published one."""
    for node in leaks:
        kids = tree.children.get(node, [])
        up = tree.parent.get(node)
        pool: list[Node] = []
        if kids and all(c in known for c in kids):
            pool += [c for c in kids if c not in hidden]
        if up is not None and up in known:
            pool += [s for s in tree.siblings(node) if s not in hidden]
        if pool:
            return min(pool, key=lambda n: (tree.size[n], n))
    # Every leak runs through cells already hidden but known: hide the nearest published parent.
    for node in leaks:
        up = tree.parent.get(node)
        while up is not None and up in hidden:
            up = tree.parent.get(up)
        if up is not None:
            return up
    raise AssertionError("a leak with nothing left to hide")  # known cells derive from published
