"""The numba kernel behind :class:`models.forest.CompiledForest` (kept apart: importing numba costs ~0.3 s).

Each loop below is one split tested on a block of rows; they have no data-dependent branch, so LLVM
vectorises them (AVX2/AVX-512 where the CPU has it: numba compiles for the host).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

from .forest import NARROW, NARROW_MAX, NUMERIC

__all__ = ["margins", "path_contributions", "sigmoid", "category_codes", "MISSING_CODE", "NEGATIVE_CODE"]

_INF = np.float32(np.inf)
MISSING_CODE = np.uint32(0xFFFFFFFF)  # a missing categorical value: goes the split's default way
NEGATIVE_CODE = np.uint32(0xFFFFFFFE)  # a negative code: never in a set (goes left), as in XGBoost


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _numeric_left(col, alive, threshold, keep, every):  # pragma: no cover - compiled
    # missing (NaN, ±inf) goes left: right only for finite v >= threshold
    for i in range(col.shape[0]):
        v = col[i]
        alive[i] &= keep if (v >= threshold) & (v < _INF) else every


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _numeric_right(col, alive, threshold, keep, every):  # pragma: no cover - compiled
    # missing (NaN, ±inf) goes right: left only for finite v < threshold
    for i in range(col.shape[0]):
        v = col[i]
        alive[i] &= every if (v < threshold) & (v > -_INF) else keep


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _narrow(codes, alive, bits, keep, every):  # pragma: no cover - compiled
    # codes are NARROW_CODES: bit 63 of the set is the split's default way, bit 62 is 0
    for i in range(codes.shape[0]):
        alive[i] &= keep if (bits >> np.uint64(codes[i])) & np.uint64(1) else every


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _wide(codes, alive, table, keep, every, default_right):  # pragma: no cover - compiled
    width = np.uint32(table.shape[0] - 1)  # the last slot is 0: codes beyond the set's range
    for i in range(codes.shape[0]):
        c = codes[i]
        inset = table[c if c < width else width] != 0
        right = default_right if c == MISSING_CODE else inset
        alive[i] &= keep if right else every


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _reach(columns, codes, narrow, start, stop, t, tree_nodes, kind, feature, threshold, default_right,
           clears, every, bits, table_base, table, alive):  # pragma: no cover - compiled
    # tree t's splits on rows start:stop; afterwards the lowest set bit of alive[i] is row i's leaf
    alive[:] = every
    for j in range(tree_nodes[t], tree_nodes[t + 1]):
        if kind[j] == NUMERIC:
            if default_right[j]:
                _numeric_right(columns[feature[j], start:stop], alive, threshold[j], clears[j], every)
            else:
                _numeric_left(columns[feature[j], start:stop], alive, threshold[j], clears[j], every)
        elif kind[j] == NARROW:
            _narrow(narrow[feature[j], start:stop], alive, bits[j], clears[j], every)
        else:
            _wide(codes[feature[j], start:stop], alive, table[table_base[j]:table_base[j + 1]],
                  clears[j], every, default_right[j] != 0)


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _block(columns, codes, narrow, start, stop, tree_nodes, kind, feature, threshold, default_right, clears, every,
           bits, table_base, table, tree_leaves, leaves, base, out):  # pragma: no cover - compiled
    n = stop - start
    acc = np.full(n, base, dtype=np.float32)  # base first, then tree by tree: XGBoost's order of float32 sums
    alive = np.empty(n, dtype=clears.dtype)
    for t in range(tree_nodes.shape[0] - 1):
        _reach(columns, codes, narrow, start, stop, t, tree_nodes, kind, feature, threshold, default_right,
               clears, every, bits, table_base, table, alive)
        first = tree_leaves[t]
        for i in range(n):
            acc[i] += leaves[first + trailing_zeros(alive[i])]
    for i in range(n):
        out[start + i] = acc[i]


@numba.njit(parallel=True, cache=True, nogil=True, boundscheck=False)
def margins(columns, codes, narrow, tree_nodes, kind, feature, threshold, default_right, clears, every, bits,
            table_base, table, tree_leaves, leaves, base, block, out):  # pragma: no cover - compiled
    """``out[i] = base + Σ_t leaf_t(row i)``, QuickScorer-style.

    ``columns`` is the features × rows matrix (NaN and ±inf are missing); ``codes`` holds the categorical
    features' codes × rows (uint32, :data:`MISSING_CODE` for missing) and ``narrow`` the same codes as uint8
    (0-61; 62 in no set; 63 missing); a split's ``feature`` indexes the one its ``kind`` reads. ``clears`` are
    uint32 where every tree has ≤ 32 leaves (twice the rows per vector instruction), else uint64; ``every``
    is the all-ones mask of that type. A tree's leaves are numbered left to right and every split has the
    bitmask of the leaves *not* in its left subtree. A row starts a tree with every leaf possible and, at each
    split it would send right, drops that split's left subtree; the leaf it reaches is the leftmost one left
    (Lucchese et al., QuickScorer, SIGIR 2015). Blocks of rows run in parallel.
    """
    rows = out.shape[0]
    n_blocks = (rows + block - 1) // block
    for b in numba.prange(n_blocks):
        start = b * block
        _block(columns, codes, narrow, start, min(rows, start + block), tree_nodes, kind, feature, threshold,
               default_right, clears, every, bits, table_base, table, tree_leaves, leaves, base, out)


@numba.njit(parallel=True, cache=True, nogil=True, boundscheck=False)
def path_contributions(columns, codes, narrow, tree_nodes, kind, feature, threshold, default_right, clears,
                       every, bits, table_base, table, tree_leaves, leaf_paths, path_feature, path_delta,
                       block, out):  # pragma: no cover - compiled
    """``out[i, f] += Σ_t`` the steps of row i's path in tree t that split on feature f (Saabas).

    A leaf fixes its path, so every leaf carries its steps (``leaf_paths[l]:leaf_paths[l + 1]`` into
    ``path_feature``, the split's matrix column, and ``path_delta``, the child's mean value less the
    parent's); the leaf is found as in :func:`margins`. ``out`` is rows × features, zeroed by the caller.
    """
    rows = out.shape[0]
    n_blocks = (rows + block - 1) // block
    for b in numba.prange(n_blocks):
        start = b * block
        stop = min(rows, start + block)
        alive = np.empty(stop - start, dtype=clears.dtype)
        for t in range(tree_nodes.shape[0] - 1):
            _reach(columns, codes, narrow, start, stop, t, tree_nodes, kind, feature, threshold,
                   default_right, clears, every, bits, table_base, table, alive)
            first = tree_leaves[t]
            for i in range(stop - start):
                leaf = first + trailing_zeros(alive[i])
                for k in range(leaf_paths[leaf], leaf_paths[leaf + 1]):
                    out[start + i, path_feature[k]] += path_delta[k]


@numba.njit(parallel=True, cache=True, nogil=True)
def sigmoid(margin, out):  # pragma: no cover - compiled
    """XGBoost's logistic transform in float32, ``1 / (expf(-m) + 1)``, so probabilities match it bit for bit."""
    for i in numba.prange(margin.shape[0]):
        out[i] = np.float32(1.0) / (np.float32(math.exp(-margin[i])) + np.float32(1.0))


_BEYOND, _MISSING = np.uint8(62), np.uint8(63)


@numba.njit(parallel=True, cache=True, nogil=True, boundscheck=False)
def category_codes(values, codes, narrow):  # pragma: no cover - compiled
    """Codes of categorical values (features × rows, float32), XGBoost's way, in the kernel's two forms.

    Values are truncated to integers. ``codes`` (uint32) marks NaN as MISSING_CODE (the default way) and
    negative values as NEGATIVE_CODE (in no set); ``narrow`` (uint8) keeps 0-61, turns anything else into 62
    (in no set) and NaN into 63 (bit 63 of a narrow split's set is its default way).
    """
    limit = np.float32(NEGATIVE_CODE - 1)
    for r in range(values.shape[0]):
        for i in numba.prange(values.shape[1]):
            v = values[r, i]
            if v != v:
                codes[r, i], narrow[r, i] = MISSING_CODE, _MISSING
            elif v < np.float32(0.0):
                codes[r, i], narrow[r, i] = NEGATIVE_CODE, _BEYOND
            else:
                c = np.uint32(min(v, limit))
                codes[r, i] = c
                narrow[r, i] = np.uint8(c) if c <= NARROW_MAX else _BEYOND
