"""suggestions: the edit distance behind every "did you mean", and how near a candidate must be to be offered."""

import pytest

from components.suggestions import did_you_mean, edit_distance, nearest


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("", "", 0),
        ("abc", "", 3),
        ("", "abc", 3),
        ("abc", "abc", 0),
        ("abc", "abd", 1),  # substitution
        ("abc", "abxc", 1),  # insertion
        ("abxc", "abc", 1),  # deletion
        ("ab", "ba", 1),  # swap of neighbours
        ("abcd", "acbd", 1),
        ("ba", "ba", 0),
        ("abcd", "badc", 2),  # two swaps
        ("ca", "abc", 3),  # optimal string alignment: a swapped pair is not edited again
        ("kitten", "sitting", 3),
        ("ab", "bc", 2),
        ("abc", "bca", 2),
        ("acb", "abc", 1),
        ("bca", "bac", 1),
        ("aab", "aba", 1),
        ("abcde", "abdce", 1),
        ("abc", "cab", 2),
        ("interval", "intreval", 1),
        ("aaa", "a", 2),
        ("abcb", "b", 3),
        # Characters past Latin-1 are new objects each time a string is iterated: compared by value, not identity.
        ("日本", "日本", 0),
        ("日本", "本日", 1),
        ("日本語", "日語本", 1),
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


def test_short_words_allow_two_edits_and_no_more() -> None:
    assert nearest("ab", ["abcd"]) == ["abcd"]
    assert nearest("ab", ["abcde"]) == []


@pytest.mark.parametrize(
    ("word", "allowed"),
    [("abcdefg", 3), ("abcdefgh", 3), ("abcdefghi", 3), ("abcdefghij", 4)],
)
def test_longer_words_allow_a_third_of_their_length_rounded_up(word: str, allowed: int) -> None:
    near = word + "x" * allowed
    too_far = word + "x" * (allowed + 1)
    assert nearest(word, [near]) == [near]
    assert nearest(word, [too_far]) == []


def test_an_explicit_max_distance_overrides_the_default() -> None:
    assert nearest("abc", ["abcxx"], max_distance=1) == []
    assert nearest("abc", ["abcx"], max_distance=1) == ["abcx"]
    assert nearest("abc", ["abcxxxx"], max_distance=4) == ["abcxxxx"]


def test_only_the_nearest_candidates_are_offered_all_of_them_on_a_tie_sorted() -> None:
    assert nearest("region", ["regions", "regoin", "legion", "regime"]) == ["legion", "regions", "regoin"]
    assert nearest("region", ["regime", "regions"]) == ["regions"]


def test_case_is_ignored_but_the_word_itself_is_not_offered() -> None:
    # The word comes from a stack file and the candidates from the models: equal strings, not the same object.
    word = "".join(["reg", "ion"])
    assert nearest("Region", ["region"]) == ["region"]
    assert nearest(word, ["region", "regions"]) == ["regions"]
    assert nearest(word, ["region"]) == []


def test_max_distance_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        nearest("abc", ["abcx"], 1)  # type: ignore[misc]
    assert nearest(word="abc", candidates=["abcx"], max_distance=1) == ["abcx"]


def test_did_you_mean_names_one_or_more_candidates_or_nothing() -> None:
    assert did_you_mean("regoin", ["region", "interval"]) == "; did you mean region?"
    assert did_you_mean("ab", ["ac", "bb"]) == "; did you mean ac or bb?"
    assert did_you_mean("zzzzzz", ["region"]) == ""
