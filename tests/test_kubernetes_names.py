"""kubernetes_names: the API server's length limits at their exact boundaries, and the derived names."""

import hashlib

from components.kubernetes_names import (
    content_addressed_name,
    content_hash,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_label_value,
    label_value,
)


def sha10(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def test_a_dns1123_label_may_have_63_characters_but_not_64() -> None:
    assert is_dns1123_label("a" * 63)
    assert not is_dns1123_label("a" * 64)


def test_a_dns1123_subdomain_may_have_253_characters_but_not_254() -> None:
    longest = ".".join(["a" * 63] * 3 + ["b" * 61])
    assert len(longest) == 253
    assert is_dns1123_subdomain(longest)
    assert not is_dns1123_subdomain(longest + "b")
    assert is_dns1123_subdomain("a")
    assert not is_dns1123_subdomain("")


def test_label_values_up_to_63_characters_are_valid_and_kept_as_they_are() -> None:
    for value in ("", "dev", "a" * 62, "a" * 63):
        assert is_label_value(value), value
        assert label_value(value) == value
    assert not is_label_value("a" * 64)


def test_a_long_label_value_is_a_prefix_and_a_ten_character_hash_of_the_whole() -> None:
    text = "a" * 100
    assert label_value(text) == "a" * 52 + "-" + sha10(text)
    assert len(label_value(text)) == 63


def test_a_label_value_drops_characters_and_ends_a_label_cannot_have() -> None:
    assert label_value("-x-") == "x-" + sha10("-x-")
    assert label_value("a b") == "ab-" + sha10("a b")


def test_a_label_value_with_nothing_usable_is_the_hash_alone() -> None:
    assert label_value("!!") == sha10("!!")


def test_the_content_hash_does_not_depend_on_key_order() -> None:
    assert content_hash({"a": "1", "b": "2"}) == content_hash({"b": "2", "a": "1"})
    assert content_hash({"a": "1", "b": "2"}) != content_hash({"a": "2", "b": "1"})


def test_the_content_hash_spells_no_words() -> None:
    digest = content_hash({"a": "1", "b": "2"})
    assert len(digest) == 10
    assert not set(digest) & set("013ae")
    assert content_addressed_name("cm", {"a": "1", "b": "2"}) == f"cm-{digest}"
