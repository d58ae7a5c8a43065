"""Writing casefiles without rewriting the clerk's YAML: a round trip through ruamel.yaml.

A casefile is a person's file first. When a program changes it (the web forms), every
comment, the order of the keys, the quoting and the indentation the clerk chose survive; only
the values that changed are replaced, and a new file is written with a Chinese comment above
every field so it stays easy to edit by hand. Callers write the text with fsio.atomic_write.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping

WIDTH = 4096  # never fold a long Chinese line: a fold would put a space inside the sentence


def _yaml(indent: int = 2, sequence_indent: int = 4):
    """A round-trip dumper; sequence_indent counts to the item's text ("  - a": 4)."""
    from ruamel.yaml import YAML

    yaml = YAML()  # round trip: comments, key order, quoting and flow style are kept
    yaml.width = WIDTH
    yaml.allow_unicode = True
    yaml.preserve_quotes = True
    yaml.indent(mapping=indent, sequence=sequence_indent, offset=max(0, sequence_indent - 2))
    return yaml


def _plain(value):
    """ruamel's commented containers and scalar subclasses as plain Python, for comparing."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def load(text: str):
    """(document, yaml) of a YAML text, the dumper set to the indentation the text uses."""
    from ruamel.yaml.util import load_yaml_guess_indent

    # ruamel guesses the sequence indent and the dash offset ("  - item": 4 and 2); mappings
    # in this project's files are indented by 2.
    _, sequence, offset = load_yaml_guess_indent(text)
    yaml = _yaml(2, sequence or 4) if offset is None else _yaml(2, max(sequence or 4, offset + 2))
    data = yaml.load(text)  # again, by a loader that keeps the quoting
    if data is None:
        from ruamel.yaml.comments import CommentedMap

        data = CommentedMap()
    return data, yaml


def dump(data, yaml) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def updated(text: str, values: Mapping, remove: Iterable[str] = ()) -> str:
    """The YAML text with top-level `values` set and keys in `remove` deleted.

    A key whose value is unchanged is left exactly as written (its flow style, its folded
    lines); a changed key is replaced in place; a new key goes at the end."""
    data, yaml = load(text)
    for key, value in values.items():
        if key in data and _plain(data[key]) == _plain(value):
            continue
        data[key] = value
    for key in remove:
        if key in data:
            del data[key]
    return dump(data, yaml)


def appended(text: str, key: str, row: Mapping) -> str:
    """The YAML text with `row` added at the end of the top-level list `key` (made if absent)."""
    from ruamel.yaml.comments import CommentedSeq

    data, yaml = load(text)
    if data.get(key) is None:
        data[key] = CommentedSeq()
    data[key].append(dict(row))
    return dump(data, yaml)


def new_text(header: str, fields: Iterable[tuple[str, str, object]]) -> str:
    """A new file: the header comment, then each (key, comment, value) with its comment above."""
    from ruamel.yaml.comments import CommentedMap

    data = CommentedMap()
    comments = []
    for key, comment, value in fields:
        data[key] = value
        comments.append((key, comment))
    for key, comment in comments:
        if comment:
            data.yaml_set_comment_before_after_key(key, before=comment)
    yaml = _yaml(2, 4)
    return "".join(f"# {line}\n" for line in header.splitlines()) + dump(data, yaml)
