"""The canonical body."""

from neurodl.pose import CANONICAL_KEYPOINTS, CANONICAL_SKELETON, mirror_name, mirror_permutation


def test_skeleton_names_are_canonical_and_mirror_pairs_exist():
    assert len(set(CANONICAL_KEYPOINTS)) == len(CANONICAL_KEYPOINTS) == 18
    for a, b in CANONICAL_SKELETON:
        assert a in CANONICAL_KEYPOINTS and b in CANONICAL_KEYPOINTS
    for name in CANONICAL_KEYPOINTS:
        assert mirror_name(name) in CANONICAL_KEYPOINTS
        assert mirror_name(mirror_name(name)) == name


def test_mirror_permutation_swaps_sides_and_is_an_involution():
    perm = mirror_permutation(CANONICAL_KEYPOINTS)
    assert sorted(perm) == list(range(18))
    assert [perm[p] for p in perm] == list(range(18))
    assert CANONICAL_KEYPOINTS[perm[CANONICAL_KEYPOINTS.index("left_knee")]] == "right_knee"
    assert perm[0] == 0 and perm[1] == 1  # nose and neck stay
    assert mirror_permutation(["left_paw", "tail"]) == [0, 1]  # no partner: stays
