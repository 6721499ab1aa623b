"""A compiled scorer for XGBoost tree ensembles: the booster's splits as flat arrays, scored by a numba kernel.

XGBoost's CPU predictor walks each tree row by row, one data-dependent branch per level; on this 2-core VM it
scored about 0.3M rows/s for 100 trees of depth 5 with categorical splits. :class:`CompiledForest` scores the
QuickScorer way (Lucchese et al., SIGIR 2015) instead: every split of a tree is tested on a block of rows, reading
one feature's column, and clears from each row's bitmask the leaves that the row can no longer reach; the
leftmost surviving leaf is the row's leaf. The work is a fixed number of vectorised passes with no branch on the
data, on all cores.

Semantics are XGBoost's, and :meth:`CompiledForest.margin` agrees with
``Booster.inplace_predict(..., predict_type="margin")`` to float32 rounding (tested):

- numeric split: ``x < threshold`` goes left; a missing value (NaN) goes the split's default way;
- categorical split: codes in the split's category set go right, every other code (negative ones, codes beyond
  the set's range) goes left; NaN goes the default way;
- ±inf counts as missing, as everywhere in ``models`` (:func:`models.features.feature_matrix` turns it into
  NaN; XGBoost refuses it);
- the margin is ``logit(base_score)`` plus the leaves' sum (``binary:logistic``).

Only single-target ``binary:logistic`` gbtree boosters with at most 64 leaves a tree are compiled
(depth ≤ 6 always is); :func:`compile_forest` returns ``None`` for anything else and callers keep XGBoost's
predictor.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import xgboost as xgb

__all__ = ["CompiledForest", "compile_forest", "category_codes", "MAX_LEAVES"]

NUMERIC, NARROW, WIDE = 0, 1, 2  # split kinds (the kernel reads these): threshold; codes ≤ 61; wider sets

NARROW_MAX = 61  # NARROW splits hold codes 0-61; bit 62 (codes beyond, negative) is 0, bit 63 the default way
MAX_LEAVES = 64  # one uint64 bitmask of leaves per row and tree
_BLOCK = 2048  # rows tested against a tree's splits at once (their masks and columns stay in cache)
_ALL = (1 << 64) - 1
_KERNEL_LOCK = threading.Lock()  # numba's default thread pool takes one caller at a time


@dataclass(frozen=True)
class CompiledForest:
    """Flat split and leaf arrays of a booster; ``tree_nodes[t]:tree_nodes[t + 1]`` are tree ``t``'s splits.

    Examples
    --------
    >>> import polars as pl
    >>> from models import train
    >>> frame = pl.DataFrame({"x": [float(i % 10) for i in range(400)],
    ...                       "y": [int(i % 10 > 6) for i in range(400)]})
    >>> model = train(frame, label="y", params={"num_boost_round": 10})
    >>> forest = compile_forest(model.booster)
    >>> x = np.array([[1.0], [9.0]], dtype=np.float32)
    >>> bool(np.allclose(forest.probability(x), model.booster.inplace_predict(x), atol=1e-6))
    True
    """

    tree_nodes: np.ndarray  # int64 (trees + 1): offsets into the split arrays
    kind: np.ndarray  # int8 (splits): NUMERIC, NARROW (category set of codes ≤ 61) or WIDE
    feature: np.ndarray  # int32 (splits): a column of the matrix, or for categorical splits a row of ``codes``
    threshold: np.ndarray  # float32 (splits)
    default_right: np.ndarray  # int8 (splits): 1 where a missing value goes right
    clears: np.ndarray  # uint32 or uint64 (splits): every leaf bit except the split's left subtree
    bits: np.ndarray  # uint64 (splits): NARROW splits' category set, bit 63 = missing goes right
    table_base: np.ndarray  # int64 (splits + 1): WIDE splits' slice of ``table``
    table: np.ndarray  # uint8: 1 where a code goes right; each WIDE slice ends with a 0 for codes beyond it
    categorical: np.ndarray  # int32: the matrix columns that hold categorical codes (rows of ``codes``)
    tree_leaves: np.ndarray  # int64 (trees + 1): offsets into ``leaves``
    leaves: np.ndarray  # float32: each tree's leaf values, left to right
    base_margin: float
    leaf_paths: np.ndarray  # int64 (leaves + 1): each leaf's steps from the root, offsets into the two below
    path_feature: np.ndarray  # int32 (steps): the matrix column the step's split reads
    path_delta: np.ndarray  # float32 (steps): the child's mean value less the parent's (Saabas)

    @property
    def trees(self) -> int:
        """Number of trees."""
        return int(self.tree_nodes.shape[0] - 1)

    def margin(self, matrix: np.ndarray, *, threads: int | None = None) -> np.ndarray:
        """Raw scores (log-odds), float32, one per row of a float32 rows × features matrix.

        The kernel reads the matrix column by column: a Fortran-ordered matrix (``feature_matrix(...,
        order="fortran")``) is used as it is, a C-ordered one is copied first.
        """
        from ._forest_kernel import margins  # numba: compiled, or loaded from its cache, on first use

        columns, codes, narrow = self._columns(matrix)
        out = np.empty(columns.shape[1], dtype=np.float32)
        if out.size:
            self._run(margins, columns, codes, narrow, self.tree_leaves, self.leaves,
                      np.float32(self.base_margin), _BLOCK, out, threads=threads)
        return out

    def contributions(self, matrix: np.ndarray, *, threads: int | None = None) -> np.ndarray:
        """Approximate SHAP contributions (rows × features, float32 log-odds, no bias column): XGBoost's
        ``pred_contribs=True, approx_contribs=True`` (Saabas: each split's feature gets the change of the
        mean value from the node to the child the row takes), to float32 rounding (tested)."""
        from ._forest_kernel import path_contributions

        columns, codes, narrow = self._columns(matrix)
        out = np.zeros((columns.shape[1], columns.shape[0]), dtype=np.float32)
        if out.size:
            self._run(path_contributions, columns, codes, narrow, self.tree_leaves, self.leaf_paths,
                      self.path_feature, self.path_delta, _BLOCK, out, threads=threads)
        return out

    def _columns(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # the features × rows float32 matrix the kernels read (a Fortran-ordered one is used as it is), and
        # its categorical features' codes
        columns = np.asarray(matrix, dtype=np.float32).T
        if not columns.flags.c_contiguous:
            columns = np.ascontiguousarray(columns)
        return columns, *category_codes(columns[self.categorical])

    def _run(self, kernel: Any, columns: np.ndarray, codes: np.ndarray, narrow: np.ndarray, *args: Any,
             threads: int | None) -> None:
        import numba

        every = self.clears.dtype.type(np.iinfo(self.clears.dtype).max)
        with _KERNEL_LOCK:
            numba.set_num_threads(_threads(threads))
            kernel(columns, codes, narrow, self.tree_nodes, self.kind, self.feature, self.threshold,
                   self.default_right, self.clears, every, self.bits, self.table_base, self.table, *args)

    def probability(self, matrix: np.ndarray, *, threads: int | None = None) -> np.ndarray:
        """``sigmoid(margin)``: the booster's (uncalibrated) probability of each row, float32."""
        from ._forest_kernel import sigmoid

        m = self.margin(matrix, threads=threads)
        out = np.empty_like(m)
        with _KERNEL_LOCK:
            sigmoid(m, out)
        return out


def _threads(wanted: int | None) -> int:
    import numba

    limit = numba.config.NUMBA_NUM_THREADS
    return max(1, min(wanted or limit, limit))


def category_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint32 codes and uint8 narrow codes of categorical values (features × rows), as the kernel reads them
    (:func:`models._forest_kernel.category_codes`)."""
    from ._forest_kernel import category_codes as fill

    values = np.ascontiguousarray(values, dtype=np.float32)
    codes = np.empty(values.shape, dtype=np.uint32)
    narrow = np.empty(values.shape, dtype=np.uint8)
    if values.size:
        with _KERNEL_LOCK:
            fill(values, codes, narrow)
    return codes, narrow


def _base_margin(learner: dict[str, Any]) -> float | None:
    values = [float(v) for v in str(learner["learner_model_param"]["base_score"]).strip("[]").split(",")
              if v.strip()]
    if len(values) != 1 or not 0.0 < values[0] < 1.0:
        return None
    return math.log(values[0] / (1.0 - values[0]))


def _compilable(learner: dict[str, Any]) -> bool:
    gb = learner["gradient_booster"]
    return (learner["objective"]["name"] == "binary:logistic" and gb.get("name") == "gbtree"
            and int(learner["learner_model_param"].get("num_target", 1)) == 1
            and int(gb["model"]["gbtree_model_param"].get("num_parallel_tree", 1)) == 1)


def _leaf_spans(left: list[int], right: list[int]) -> tuple[list[int], dict[int, tuple[int, int]]]:
    """Leaves in left-to-right order, and every node's leaves as a range [first, end) of that order."""
    order: list[int] = []
    spans: dict[int, tuple[int, int]] = {}
    stack: list[tuple[int, bool]] = [(0, False)]
    while stack:
        node, done = stack.pop()
        if left[node] == -1:
            spans[node] = (len(order), len(order) + 1)
            order.append(node)
        elif done:
            spans[node] = (spans[left[node]][0], spans[right[node]][1])
        else:
            stack += [(node, True), (right[node], False), (left[node], False)]
    return order, spans


def _mean_values(left: list[int], right: list[int], values: list[float], hessians: list[float]) -> np.ndarray:
    """Every node's mean value as XGBoost computes it for approximate contributions, in float32: a leaf's
    value, or the children's means weighted by their hessian sums (``FillNodeMeanValue``)."""
    f32 = np.float32
    means = np.zeros(len(left), dtype=np.float32)
    stack: list[tuple[int, bool]] = [(0, False)]
    while stack:
        node, done = stack.pop()
        if left[node] == -1:
            means[node] = f32(values[node])
        elif done:
            a, b = left[node], right[node]
            total = means[a] * f32(hessians[a])
            total = f32(total + means[b] * f32(hessians[b]))
            means[node] = f32(total / f32(hessians[node]))
        else:
            stack += [(node, True), (right[node], False), (left[node], False)]
    return means


def _leaf_steps(tree: dict[str, Any], order: list[int]) -> list[list[tuple[int, float]]]:
    """Each leaf's path from the root as (split feature, child mean − parent mean) steps, in leaf order."""
    left, right = tree["left_children"], tree["right_children"]
    means = _mean_values(left, right, tree["split_conditions"], tree["sum_hessian"])
    parent = {child: node for node in range(len(left)) for child in (left[node], right[node]) if child != -1}
    steps = []
    for leaf in order:
        path, node = [], leaf
        while node in parent:
            up = parent[node]
            path.append((int(tree["split_indices"][up]), float(np.float32(means[node] - means[up]))))
            node = up
        steps.append(path[::-1])
    return steps


def compile_forest(booster: xgb.Booster) -> CompiledForest | None:
    """The :class:`CompiledForest` of a ``binary:logistic`` booster, or ``None`` where it does not apply.

    ``None`` for other objectives, multi-target models, boosted random forests (``num_parallel_tree`` > 1),
    linear boosters and trees with more than :data:`MAX_LEAVES` leaves.
    """
    learner = json.loads(booster.save_raw("json"))["learner"]
    base = _base_margin(learner)
    if not _compilable(learner) or base is None:
        return None
    types = learner.get("feature_types") or []
    trees = learner["gradient_booster"]["model"]["trees"]
    categorical = sorted({i for i, kind in enumerate(types) if kind == "c"}
                         | {f for tree in trees for f, kind in zip(tree["split_indices"], tree["split_type"],
                                                                   strict=True) if kind == 1})
    code_row = {f: r for r, f in enumerate(categorical)}
    split: dict[str, list[Any]] = {k: [] for k in ("kind", "feature", "threshold", "default_right",
                                                    "clears", "bits")}
    tables: list[np.ndarray] = []
    table_base = [0]
    tree_nodes, tree_leaves, leaves = [0], [0], []
    leaf_paths, path_feature, path_delta = [0], [], []
    for tree in trees:
        left, right, values = tree["left_children"], tree["right_children"], tree["split_conditions"]
        order, spans = _leaf_spans(left, right)
        if len(order) > MAX_LEAVES:
            return None
        splits = [node for node in range(len(left)) if left[node] != -1 and node in spans]
        cats = {node: tree["categories"][seg: seg + size] for node, seg, size in
                zip(tree["categories_nodes"], tree["categories_segments"], tree["categories_sizes"],
                    strict=True)}
        for node in splits:
            first, end = spans[left[node]]
            feature = tree["split_indices"][node]
            split["default_right"].append(0 if tree["default_left"][node] else 1)
            split["clears"].append(_ALL & ~(((1 << (end - first)) - 1) << first))
            split["threshold"].append(values[node] if tree["split_type"][node] == 0 else np.nan)
            if tree["split_type"][node] == 0:
                kind, bits, table = NUMERIC, 0, None
            else:
                feature = code_row[feature]
                codes = [int(c) for c in cats.get(node, [])]
                if max(codes, default=0) <= NARROW_MAX:
                    default = (1 << 63) if not tree["default_left"][node] else 0
                    kind, bits, table = NARROW, sum(1 << c for c in set(codes)) | default, None
                else:
                    kind, bits = WIDE, 0
                    table = np.zeros(max(codes) + 2, dtype=np.uint8)  # last slot: codes beyond the set
                    table[codes] = 1
            split["kind"].append(kind)
            split["feature"].append(feature)
            split["bits"].append(bits)
            if table is not None:
                tables.append(table)
            table_base.append(table_base[-1] + (0 if table is None else table.size))
        tree_nodes.append(tree_nodes[-1] + len(splits))
        leaves += [values[node] for node in order]
        tree_leaves.append(len(leaves))
        for path in _leaf_steps(tree, order):
            path_feature += [f for f, _ in path]
            path_delta += [d for _, d in path]
            leaf_paths.append(len(path_feature))
    clears = np.asarray(split["clears"], dtype=np.uint64)
    if max(np.diff(tree_leaves), default=0) <= 32:  # uint32 masks: twice the rows per vector instruction
        clears = (clears & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return CompiledForest(
        tree_nodes=np.asarray(tree_nodes, dtype=np.int64),
        kind=np.asarray(split["kind"], dtype=np.int8),
        feature=np.asarray(split["feature"], dtype=np.int32),
        threshold=np.asarray(split["threshold"], dtype=np.float32),
        default_right=np.asarray(split["default_right"], dtype=np.int8),
        clears=clears,
        bits=np.asarray(split["bits"], dtype=np.uint64),
        table_base=np.asarray(table_base, dtype=np.int64),
        table=np.concatenate(tables) if tables else np.zeros(1, dtype=np.uint8),
        categorical=np.asarray(categorical, dtype=np.int32),
        tree_leaves=np.asarray(tree_leaves, dtype=np.int64),
        leaves=np.asarray(leaves, dtype=np.float32),
        base_margin=base,
        leaf_paths=np.asarray(leaf_paths, dtype=np.int64),
        path_feature=np.asarray(path_feature, dtype=np.int32),
        path_delta=np.asarray(path_delta, dtype=np.float32),
    )
