"""The one way hanbao reads YAML: safe, and refusing a key given twice in one mapping.

PyYAML keeps the last of two equal keys silently, so ``allowed_domains`` or a unit's ``code``
written twice would pass with half of what the operator wrote. Every YAML file hanbao reads
(settings, rules, calendar overrides, units) goes through :func:`load`; a duplicate is a
:class:`yaml.YAMLError`, which each reader already reports with its file name.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

_MERGE = "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys."""


def _mapping(loader: _Loader, node: MappingNode) -> dict[Any, Any]:
    seen: set[Hashable] = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE:  # what ``<<`` brings in may be overridden, once
            continue
        key = loader.construct_object(key_node)
        if not isinstance(key, Hashable):
            continue  # construct_mapping refuses it, with PyYAML's own message
        if key in seen:
            raise ConstructorError(
                "trong bảng khoá / in the mapping",
                node.start_mark,
                f"khoá {key!r} được viết hai lần / key {key!r} is given twice: giữ một, xoá dòng "
                "kia / keep one and delete the other",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node)


class _CLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same with libyaml's parser in C, when PyYAML has it: about ten times faster on
    ``rules.yaml``, which every command reads."""


for _loader in (_Loader, _CLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load(text: str) -> Any:
    """The document in ``text``; :class:`yaml.YAMLError` if it is not valid or repeats a key.

    Read by libyaml; a document it refuses is read again by PyYAML's own parser, whose message
    (with the line quoted) is the one hanbao has always shown."""
    try:
        return yaml.load(text, Loader=_CLoader)  # SafeLoaders: plain data only
    except yaml.YAMLError:
        return yaml.load(text, Loader=_Loader)
