"""Safe YAML loading that remembers where each value came from, for errors a clerk can find.

Mappings load as `Located` dicts and sequences as `LocatedList`s, each knowing the line of
every key or item. Only PyYAML's safe constructors are used: a casefile can never run code.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from docgen.errors import DocgenError, Problem, located


class Located(dict):
    """A mapping that knows the 1-based line of each key."""

    lines: dict
    line: int | None = None

    def line_of(self, key) -> int | None:
        return self.lines.get(key, self.line)


class LocatedList(list):
    """A sequence that knows the 1-based line of each item."""

    lines: list
    line: int | None = None

    def line_of(self, index: int) -> int | None:
        return self.lines[index] if index < len(self.lines) else self.line


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    result = Located()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int)):
            raise located("键必须是文字", None, key_node.start_mark.line + 1)
        key = str(key)
        if key in result:
            raise located(f"键「{key}」重复出现", None, key_node.start_mark.line + 1, key)
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _timestamp(loader: _Loader, node: yaml.ScalarNode):
    # 2021-02-30 looks like a date but is none: keep the text so validation can say so.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return node.value


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load(path: Path, *, shown_as: str | None = None) -> Located:
    """Load one YAML file whose top level is a mapping; errors name the file and line."""
    name = shown_as or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise located("文件不存在", name) from None
    except UnicodeDecodeError:
        raise located("文件不是 UTF-8 编码，请用 UTF-8 保存", name) from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from SafeLoader
    except DocgenError as exc:
        raise DocgenError([Problem(p.message, name, p.line, p.field) for p in exc.problems]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise located(f"YAML 格式错误：{exc.problem or exc.context}", name,
                      mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise located(f"YAML 格式错误：{exc}", name) from None
    if data is None:
        data = Located()
        data.lines = {}
        data.line = 1
    if not isinstance(data, Located):
        raise located("文件顶层应为「字段: 值」形式的映射", name, 1)
    return data


def plain(value):
    """Located containers back to plain dicts and lists (for dumping or comparing)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
