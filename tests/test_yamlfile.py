from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scheduler import yamlfile

CONFIG = Path(__file__).resolve().parent.parent / "config"


@pytest.mark.parametrize("name", ["rules.yaml", "hanbao.yaml", "calendar-overrides.yaml"])
def test_the_shipped_files_read_the_same_with_libyaml_as_with_pyyaml(name: str) -> None:
    text = (CONFIG / name).read_text(encoding="utf-8")
    assert yamlfile.load(text) == yaml.load(text, Loader=yamlfile._Loader)


def test_a_broken_document_says_what_pyyamls_own_parser_says_quoting_the_line() -> None:
    text = "kinds:\n  a: 1\n b: 2\n"
    with pytest.raises(yaml.YAMLError) as pure:
        yaml.load(text, Loader=yamlfile._Loader)
    with pytest.raises(yaml.YAMLError) as read:
        yamlfile.load(text)
    assert str(read.value) == str(pure.value)
    assert " b: 2" in str(read.value)  # the line, quoted: libyaml's marks carry no text


def test_a_key_given_twice_is_refused_naming_both_lines() -> None:
    with pytest.raises(yaml.YAMLError, match="key 'a' is given twice") as refused:
        yamlfile.load("a: 1\nb: 2\na: 3\n")
    assert "line 1, column 1" in str(refused.value) and "line 3, column 1" in str(refused.value)
    assert "    a: 3" in str(refused.value)
