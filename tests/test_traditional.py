"""The list of characters OpenCC's t2s can change, and the shortcut it gives to_simplified."""

import pytest

from tifa import clean, traditional
from tifa.clean import make_to_simplified
from tifa.text import HAN_RANGES, count_han


def test_the_list_is_that_of_the_installed_dictionaries():
    assert traditional._changeable() is not None, "the checksums in t2s_changes.txt match OpenCC's dictionaries"


def test_every_han_character_t2s_changes_alone_is_listed():
    chars = [chr(c) for lo, hi in HAN_RANGES for c in range(lo, hi + 1)]
    converted = traditional.t2s().convert("\n".join(chars)).split("\n")
    changed = "".join(c for c, s in zip(chars, converted) if c != s)
    assert len(converted) == len(chars) and len(changed) > 2000
    assert traditional.n_changeable(changed) == len(changed)


def test_the_list_is_read_off_the_dictionaries_again(tmp_path):
    path = traditional.write_changing_characters(tmp_path / "t2s_changes.txt")
    assert path.read_bytes() == traditional.CHANGES_FILE.read_bytes()


def test_phrase_changes_are_listed_too():
    # 瞭 and 藉 change only inside a phrase (瞭解 -> 了解, 憑藉 -> 凭借): the bound must count them
    assert [traditional.t2s().convert(w) for w in ("瞭", "藉", "瞭解", "憑藉")] == ["瞭", "藉", "了解", "凭借"]
    assert traditional.n_changeable("瞭藉") == 2


def test_han_characters_and_those_t2s_could_change_are_counted_at_once():
    from tifa.text import code_points

    assert traditional.count_han_and_changeable(code_points("黨政同責 GDP 党政同责 瞭𠮷")) == (10, 3)


def test_a_simplified_text_is_not_converted(monkeypatch):
    def fail():
        raise AssertionError("t2s was called")

    monkeypatch.setattr(clean, "t2s", fail)
    text = "严格落实环境保护党政同责、一岗双责。" * 50
    assert make_to_simplified().run(text) == (text, [])


@pytest.mark.parametrize("text", ["落實“黨政同責、一崗雙責”", "黨" + "一" * 19, "黨" + "一" * 20, "瞭解" + "一" * 38, "党政同责", "GDP"])
def test_the_shortcut_gives_what_converting_gives(monkeypatch, text):
    fast = make_to_simplified().run(text)
    monkeypatch.setattr(clean, "count_han_and_changeable", lambda codes: (count_han(codes), None))  # as when the list does not fit the dictionaries
    assert make_to_simplified().run(text) == fast
