"""The numba kernel behind :class:`models.forest.CompiledForest` (kept apart: importing numba costs ~0.3 s).

Each loop below is one split tested on a block of rows; they have no data-dependent branch, so LLVM
vectorises them (AVX2/AVX-512 where the CPU has it: numba compiles for the host).
"""

from __future__ import annotations

import numba
import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

__all__ = ["margins", "MISSING_CODE", "NEGATIVE_CODE", "NUMERIC", "NARROW", "WIDE"]

MISSING_CODE = np.uint32(0xFFFFFFFF)  # a missing categorical value: goes the split's default way
NEGATIVE_CODE = np.uint32(0xFFFFFFFE)  # a negative code: never in a set (goes left), as in XGBoost
NUMERIC, NARROW, WIDE = 0, 1, 2  # split kinds: threshold; category set as a 64-bit mask; as a table


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _numeric(col, alive, threshold, keep, every, default_right):  # pragma: no cover - compiled
    for i in range(col.shape[0]):
        v = col[i]
        right = (v >= threshold) | ((v != v) & default_right)
        alive[i] &= keep if right else every


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _narrow(codes, alive, bits, keep, every, default_right):  # pragma: no cover - compiled
    for i in range(codes.shape[0]):
        c = codes[i]
        inset = (((bits >> (c & np.uint32(63))) & np.uint64(1)) != 0) & (c < np.uint32(64))
        right = default_right if c == MISSING_CODE else inset
        alive[i] &= keep if right else every


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _wide(codes, alive, table, keep, every, default_right):  # pragma: no cover - compiled
    width = np.uint32(table.shape[0] - 1)  # the last slot is 0: codes beyond the set's range
    for i in range(codes.shape[0]):
        c = codes[i]
        inset = table[c if c < width else width] != 0
        right = default_right if c == MISSING_CODE else inset
        alive[i] &= keep if right else every


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _block(columns, codes, start, stop, tree_nodes, kind, feature, threshold, default_right, clears, every,
           bits, table_base, table, tree_leaves, leaves, base, out):  # pragma: no cover - compiled
    n = stop - start
    acc = np.zeros(n, dtype=np.float32)
    alive = np.empty(n, dtype=clears.dtype)
    for t in range(tree_nodes.shape[0] - 1):
        alive[:] = every
        for j in range(tree_nodes[t], tree_nodes[t + 1]):
            dr = default_right[j] != 0
            if kind[j] == NUMERIC:
                _numeric(columns[feature[j], start:stop], alive, threshold[j], clears[j], every, dr)
            elif kind[j] == NARROW:
                _narrow(codes[feature[j], start:stop], alive, bits[j], clears[j], every, dr)
            else:
                _wide(codes[feature[j], start:stop], alive, table[table_base[j]:table_base[j + 1]],
                      clears[j], every, dr)
        first = tree_leaves[t]
        for i in range(n):
            acc[i] += leaves[first + trailing_zeros(alive[i])]
    for i in range(n):
        out[start + i] = acc[i] + base


@numba.njit(parallel=True, cache=True, nogil=True, boundscheck=False)
def margins(columns, codes, tree_nodes, kind, feature, threshold, default_right, clears, every, bits,
            table_base, table, tree_leaves, leaves, base, block, out):  # pragma: no cover - compiled
    """``out[i] = base + Σ_t leaf_t(row i)``, QuickScorer-style.

    ``clears`` are uint32 where every tree has ≤ 32 leaves (twice the rows per vector instruction), else
    uint64; ``every`` is the all-ones mask of that type. ``columns`` is the numeric features × rows matrix, ``codes`` the categorical features' codes × rows
    (uint32, :data:`MISSING_CODE` for missing); a split's ``feature`` indexes the one its ``kind`` reads.
    A tree's leaves are numbered left to right and every split has the bitmask of the leaves *not* in its
    left subtree. A row starts a tree with every leaf possible and, at each split it would send right, drops
    that split's left subtree; the leaf it reaches is the leftmost one left (Lucchese et al., QuickScorer,
    SIGIR 2015). Blocks of rows run in parallel.
    """
    rows = out.shape[0]
    n_blocks = (rows + block - 1) // block
    for b in numba.prange(n_blocks):
        start = b * block
        _block(columns, codes, start, min(rows, start + block), tree_nodes, kind, feature, threshold,
               default_right, clears, every, bits, table_base, table, tree_leaves, leaves, base, out)
