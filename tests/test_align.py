"""Alignment machinery of text reuse: skeleton, shingles, MinHash signatures and LSH (against datasketch), Smith–Waterman (against the textbook)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tifa.align import (
    EMPTY,
    Alignment,
    BandIndex,
    Scoring,
    align,
    align_exact,
    align_many,
    align_streaming,
    shingle_hashes,
    skeleton,
    window_signatures,
    window_starts,
)


def test_the_skeleton_keeps_letters_digits_and_han_with_their_offsets():
    codes, offsets = skeleton("一、二，三 a1。𠀀")
    assert "".join(map(chr, codes)) == "一二三a1𠀀"
    assert offsets.tolist() == [0, 2, 4, 6, 7, 9]


def test_equal_runs_of_characters_have_equal_shingle_hashes():
    codes, _ = skeleton("生态环境保护生态环境")
    hashes = shingle_hashes(codes, 4)
    assert len(hashes) == 10 - 4 + 1
    assert hashes[0] == hashes[6]  # 生态环境 twice
    assert len(set(hashes.tolist())) == 6
    assert len(shingle_hashes(codes[:3], 4)) == 0


@pytest.mark.parametrize("n", [0, 1, 31, 32, 33, 48, 49, 100])
def test_windows_cover_every_shingle(n):
    starts = window_starts(n, 32, 16)
    covered = np.zeros(n, dtype=bool)
    for s in starts:
        covered[s : s + 32] = True
    assert covered.all()
    assert len(starts) == (0 if n == 0 else 1 + max(0, -(-(n - 32) // 16)))


def test_window_signatures_are_datasketch_minhashes_of_the_kept_shingles():
    from datasketch import MinHash

    rng = np.random.default_rng(7)
    hashes = rng.integers(0, 2**32, 150, dtype=np.uint64).astype(np.uint32)
    keep = rng.random(150) > 0.3
    keep[96:128] = False  # a window with no kept shingle
    reference = MinHash(num_perm=32, seed=5, scheme="affine32", hashfunc=lambda x: x)
    signatures = window_signatures(hashes, keep, 32, 16, reference.permutations)
    for row, start in zip(signatures, window_starts(150, 32, 16)):
        m = MinHash(num_perm=32, seed=5, scheme="affine32", hashfunc=lambda x: x)
        m.update_batch([int(h) for h, k in zip(hashes[start : start + 32], keep[start : start + 32]) if k])
        assert row.tolist() == m.hashvalues.tolist()
    assert (signatures[6] == EMPTY).all()  # shingles 96-127 only


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_band_index_finds_the_candidates_of_datasketchs_lsh(rows):
    from datasketch import LeanMinHash, MinHashLSH

    rng = np.random.default_rng(rows)
    indexed = rng.integers(0, 6, (300, 12)).astype(np.uint32)  # few values: many collisions
    queries = rng.integers(0, 6, (40, 12)).astype(np.uint32)
    bands = 12 // rows
    lsh = MinHashLSH(num_perm=12, params=(bands, rows))
    for key, signature in enumerate(indexed):
        lsh.insert(key, LeanMinHash(seed=1, hashvalues=signature, scheme="affine32"))
    expected = sorted((q, key) for q, signature in enumerate(queries) for key in lsh.query(LeanMinHash(seed=1, hashvalues=signature, scheme="affine32")))
    found_q, found_key = BandIndex.build(indexed, bands, rows).query(queries)
    assert list(zip(found_q.tolist(), found_key.tolist())) == expected
    assert expected


def test_a_hand_computed_alignment():
    a = np.array([ord(c) for c in "甲乙丙丁戊"])
    b = np.array([ord(c) for c in "子乙丙丁丑"])
    assert align(a, b) == Alignment(score=3, a_start=1, a_end=4, b_start=1, b_end=4, matches=3, columns=3)
    # one deletion in a: 乙丙丁戊己 against 乙丙戊己 → 4 matches − 1 gap
    a = np.array([ord(c) for c in "乙丙丁戊己"])
    b = np.array([ord(c) for c in "乙丙戊己"])
    found = align(a, b)
    assert (found.score, found.a_start, found.a_end, found.b_start, found.b_end, found.matches, found.columns) == (3, 0, 5, 0, 4, 4, 5)
    assert found.identity == pytest.approx(0.8)
    assert align(a, np.array([1, 2])) is None
    assert align(a[:0], b) is None


sequences = st.lists(st.integers(0, 4), min_size=0, max_size=25)
scorings = st.sampled_from([Scoring(1, -1, 1), Scoring(2, -3, 3), Scoring(2, -1, 2), Scoring(1, -2, 1)])


@settings(max_examples=300, deadline=None)
@given(sequences, sequences, scorings)
def test_the_vectorised_kernels_give_the_textbook_alignment(a, b, scoring):
    a, b = np.array(a, dtype=np.int64), np.array(b, dtype=np.int64)
    exact = align_exact(a, b, scoring)
    assert align(a, b, scoring) == exact
    assert align_streaming(a, b, scoring) == exact


def test_batches_of_pairs_of_different_sizes_give_each_pairs_alignment():
    rng = np.random.default_rng(3)
    pairs = [(rng.integers(0, 5, rng.integers(0, 40)), rng.integers(0, 5, rng.integers(0, 40))) for _ in range(200)]
    assert align_many(pairs) == [align_exact(a, b) for a, b in pairs]


def test_a_copied_passage_is_found_where_it_was_put():
    rng = np.random.default_rng(11)
    a, b = rng.integers(0, 3000, 400), rng.integers(0, 3000, 2000)
    b[500:800] = a[50:350]
    assert align(a, b) == Alignment(300, 50, 350, 500, 800, 300, 300) == align_streaming(a, b)
