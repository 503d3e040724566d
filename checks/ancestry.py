"""Parents of a tree's nodes at a cost that does not grow with the tree's depth.

tree-sitter keeps no parent links: ``Node.parent`` descends from the root on every call. On
generated code thousands of levels deep (a chain of 20,000 method calls, a thousand nested
``format!``), climbing from a node costs the square of its depth, and asking the parent of
every method name of the chain costs its length times its depth. The rest of the engine
asks ``Ancestry`` instead (``AnalysisContext.parent``), never ``Node.parent``.
"""

from __future__ import annotations

from tree_sitter import Node


class Ancestry:
    """One tree's parent links, learned by descending from the root and kept.

    Each descent is kept as the path from the root to its target, and the next one starts
    from the deepest node of that path that holds its own target. Rules ask about candidates
    in source order (as queries yield them), so a descent usually costs the distance from the
    previous target, not the depth; every node passed on the way keeps its parent link."""

    __slots__ = ("root", "_path", "_parents", "_enclosing")

    def __init__(self, root: Node):
        self.root = root
        self._path: list[Node] = [root]
        self._parents: dict[int, Node] = {}
        # Per set of kinds asked about, each node climbed from and its answer (None: none).
        self._enclosing: dict[object, dict[int, Node | None]] = {}

    def parent(self, node: Node) -> Node | None:
        if node.id == self.root.id:
            return None
        found = self._parents.get(node.id)
        if found is None:
            if not self._descend_to(node):
                return node.parent  # a node of another tree
            found = self._parents[node.id]
        return found

    def path_to(self, node: Node) -> list[Node]:
        """The nodes from the root down to ``node``, both included ([``node``] when it is
        not in this tree)."""
        if node.id == self.root.id:
            return [self.root]
        if not self._descend_to(node):
            return [node]
        return list(self._path)

    def enclosing(self, node: Node, kinds: frozenset[str] | tuple[str, ...]) -> Node | None:
        """The nearest proper ancestor of ``node`` whose type is one of ``kinds``. Every node
        climbed through keeps the answer, so climbs from the many nodes of one deep
        expression cost its depth once, not once each."""
        known = self._enclosing.setdefault(kinds, {})
        climbed = []
        current = node
        while True:
            if current.id in known:
                found = known[current.id]
                break
            climbed.append(current.id)
            current = self.parent(current)
            if current is None or current.type in kinds:
                found = current
                break
        for node_id in climbed:
            known[node_id] = found
        return found

    def _descend_to(self, target: Node) -> bool:
        """Make the kept path end at ``target``; False when ``target`` is not in this tree."""
        path = self._path
        start, end = target.start_byte, target.end_byte
        # Each node of the path holds the next, so those that hold the target are a prefix.
        low, high = 0, len(path)
        while low < high:
            middle = (low + high) // 2
            if path[middle].start_byte <= start and end <= path[middle].end_byte:
                low = middle + 1
            else:
                high = middle
        if low == 0:
            return False
        # A node of the path may span exactly the target's bytes without holding it (the
        # target is then its ancestor, or an empty sibling): start again from the root.
        for origin in dict.fromkeys((low - 1, 0)):
            del path[origin + 1 :]
            if self._extend_path(target):
                return True
        return False

    def _extend_path(self, target: Node) -> bool:
        path = self._path
        current = path[-1]
        while current.id != target.id:
            child = current.child_with_descendant(target)
            if child is None or child.id == current.id:
                return False
            self._parents[child.id] = current
            path.append(child)
            current = child
        return True
