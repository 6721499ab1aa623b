"""Connected components over record-to-record and record-to-key links, vectorised with SciPy.

Records are rows ``0..n-1``; links are pairs of row numbers. Shared keys (a normalised email, a CRM id) are
expanded into links by chaining each key's rows, so a key held by k records costs k - 1 links, not k².
"""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = ["key_links", "components", "merge_without_conflicts", "mailboxes_conflict", "SMALL_GRAPH"]

SMALL_GRAPH = 20_000  # rows up to which components() runs in NumPy (SciPy's C code beyond)


def key_links(keys: pl.DataFrame) -> pl.DataFrame:
    """Chain the rows that share a key into links.

    ``keys`` has columns ``row`` (int) and ``key`` (str); the result has ``left`` and ``right`` row numbers.

    Examples
    --------
    >>> keys = pl.DataFrame({"row": [0, 1, 2, 3], "key": ["a", "a", "a", "b"]})
    >>> key_links(keys).sort("left").rows()
    [(0, 1), (1, 2)]
    """
    ordered = keys.drop_nulls().sort("key", "row")
    same = ordered["key"] == ordered["key"].shift(1)
    chained = pl.DataFrame({"left": ordered["row"].shift(1).filter(same), "row": ordered["row"].filter(same)})
    return chained.select(pl.col("left").cast(pl.Int64), pl.col("row").cast(pl.Int64).alias("right"))


def components(n: int, links: pl.DataFrame) -> np.ndarray:
    """Component label (the smallest row number in the component) for each of ``n`` rows.

    Examples
    --------
    >>> components(5, pl.DataFrame({"left": [0, 3], "right": [1, 4]})).tolist()
    [0, 0, 2, 3, 3]
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    left = links["left"].to_numpy().astype(np.int64, copy=False)
    right = links["right"].to_numpy().astype(np.int64, copy=False)
    if n <= SMALL_GRAPH:  # a micro-batch: NumPy alone, sparing the real-time run SciPy's 0.3 s import
        return _smallest_roots(n, left, right)
    from scipy.sparse import coo_matrix  # imported here: keeps the code location's start-up short
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(left.size, dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # canonical label: the smallest row of each component (independent of SciPy's numbering)
    smallest = np.full(labels.max() + 1, n, dtype=np.int64)
    np.minimum.at(smallest, labels, np.arange(n, dtype=np.int64))
    return smallest[labels]


def _smallest_roots(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """:func:`components` by hooking and pointer jumping: each root points at a smaller one it links to, then
    every row jumps to its root, until no link joins two roots. Parents only decrease (``parent[i] <= i``), so
    each root is the smallest row of its component."""
    parent = np.arange(n, dtype=np.int64)
    while True:
        a, b = parent[left], parent[right]
        apart = a != b
        if not apart.any():
            return parent
        np.minimum.at(parent, np.maximum(a, b)[apart], np.minimum(a, b)[apart])
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


def mailboxes_conflict(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> bool:
    """Two sets of (domain, local) mailboxes belong to different people: at one domain, a local part that is
    neither equal nor a one-edit typo of the other, that differs only by digits (jsmith / jsmith2) or that
    starts with another letter (tsmith / csmith: another initial, not a typo)."""
    for dom_a, loc_a in a:
        for dom_b, loc_b in b:
            if dom_a != dom_b or loc_a == loc_b:
                continue
            if (_strip_digits(loc_a) == _strip_digits(loc_b) or loc_a[:1] != loc_b[:1]
                    or not _one_edit(loc_a, loc_b)):
                return True
    return False


def _strip_digits(text: str) -> str:
    return "".join(ch for ch in text if not ch.isdigit())


def _one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance <= 1 (substitution, insertion, deletion or adjacent transposition)."""
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return (a[i + 1:] == b[i + 1:] or a[i + 1:] == b[i:] or a[i:] == b[i + 1:]
            or (a[i:i + 2] == b[i:i + 2][::-1] and a[i + 2:] == b[i + 2:]))


def merge_without_conflicts(labels: np.ndarray, links: pl.DataFrame, mailboxes: pl.DataFrame) -> np.ndarray:
    """Join clusters along probabilistic ``links`` (``left``, ``right``, ``match_probability``), strongest first,
    refusing any join that would put conflicting mailboxes in one person (see :func:`mailboxes_conflict`).

    ``labels`` are the clusters so far (a row's label is a row number); ``mailboxes`` has ``cluster``, ``domain``
    and ``local``. Transitive closure alone would let one ambiguous record chain two colleagues of the same name
    into one person; this is where that stops. The loop runs over candidate links only, never over records.

    Examples
    --------
    >>> labels = np.array([0, 1, 2])
    >>> links = pl.DataFrame({"left": [0, 1], "right": [2, 2], "match_probability": [0.99, 0.98]})
    >>> boxes = pl.DataFrame({"cluster": [0, 1], "domain": ["acme.com", "acme.com"], "local": ["jo", "jo2"]})
    >>> merge_without_conflicts(labels, links, boxes).tolist()
    [0, 1, 0]
    """
    if links.height == 0:
        return labels
    ordered = links.sort(["match_probability", "left", "right"], descending=[True, False, False])
    involved = np.unique(np.concatenate([ordered["left"].to_numpy(), ordered["right"].to_numpy()]))
    boxes = (mailboxes.filter(pl.col("cluster").is_in(involved.tolist())).unique()
             .group_by("cluster").agg(pl.struct("domain", "local")))
    mail: dict[int, list[tuple[str, str]]] = {
        c: [(d["domain"], d["local"]) for d in ds] for c, ds in boxes.iter_rows()}
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for left, right in ordered.select("left", "right").iter_rows():
        a, b = find(left), find(right)
        if a == b or mailboxes_conflict(mail.get(a, []), mail.get(b, [])):
            continue
        keep, gone = min(a, b), max(a, b)
        parent[gone] = keep
        mail[keep] = mail.get(keep, []) + mail.pop(gone, [])
    roots = {c: find(c) for c in involved.tolist()}
    lookup = np.arange(labels.size, dtype=np.int64)
    for c, r in roots.items():
        lookup[c] = r
    return lookup[labels]
