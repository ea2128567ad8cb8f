"""YAML text into a tree that remembers where each value was written.

ruamel's round-trip loader keeps the line and column of every mapping key and value; this module
wraps what it builds in `Node`s (value, dotted path, 1-based place) so the catalog format can
name the exact spot of each problem. Loader errors become problems here too, so nothing foreign
leaves this module: duplicate keys are collected (all of them, not just the first), and syntax
errors keep the place ruamel found them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import merge_attrib
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarbool import ScalarBoolean

from status_dashboard.service.catalog_problems import CatalogProblem


@dataclass(frozen=True, slots=True)
class Node:
    """A value of the file, its dotted path, and where it starts (1-based line and column)."""

    value: object
    path: str
    line: int
    column: int

    def at(self, path: str) -> Node:
        """The same place under another path (a missing field is reported where its parent is)."""
        return Node(self.value, path, self.line, self.column)


@dataclass(frozen=True, slots=True)
class Entry:
    """One `key: value` of a mapping; the key's node holds the key itself as its value."""

    key: Node
    value: Node


def is_boolean(value: object) -> bool:
    """A YAML `true`/`false`; an anchored one is a ScalarBoolean, which is an int, not a bool."""
    return isinstance(value, bool | ScalarBoolean)


def join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def entries(node: Node) -> Iterator[Entry]:
    """The entries of a mapping node in file order, merged (`<<: *x`) entries included."""
    mapping = node.value
    assert isinstance(mapping, Mapping)
    for key, value in mapping.items():
        path = join(node.path, key)
        key_line, key_col, value_line, value_col = _place(mapping, key, node)
        if value is None:
            # ruamel places an empty value at the start of the next token, often a line below.
            value_line, value_col = key_line, key_col
        yield Entry(Node(key, path, key_line, key_col), Node(value, path, value_line, value_col))


def elements(node: Node) -> Iterator[Node]:
    """The elements of a list node in file order, each with its path (`checks[0]`) and place.

    An element that is an alias (`- *web`) is placed at its anchor, where its text is.
    """
    sequence = node.value
    assert isinstance(sequence, list)
    data = getattr(getattr(sequence, "lc", None), "data", None) or {}
    for index, value in enumerate(sequence):
        place = data.get(index)
        line, column = (place[0] + 1, place[1] + 1) if place else (node.line, node.column)
        yield Node(value, f"{node.path}[{index}]", line, column)


def kind_of(node: Node) -> str:
    """How a value reads to the author of the file, for messages."""
    value = node.value
    if value is None:
        return "nothing"
    if is_boolean(value):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value.strip()[:40]!r}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list | tuple | set):
        return "a list"
    return type(value).__name__


def _place(mapping: Mapping[Any, Any], key: object, fallback: Node) -> tuple[int, int, int, int]:
    """1-based line/column of a key and its value, looked up in the mapping that wrote them."""
    owner = _owner(mapping, key, depth=0)
    if owner is None:
        return fallback.line, fallback.column, fallback.line, fallback.column
    k_line, k_col, v_line, v_col = owner.lc.data[key]
    return k_line + 1, k_col + 1, v_line + 1, v_col + 1


def _owner(mapping: Any, key: object, depth: int) -> Any:
    """The mapping whose own text holds `key`: this one, or a mapping merged into it."""
    data = getattr(getattr(mapping, "lc", None), "data", None)
    if data is not None and key in data:
        return mapping
    if depth > 32:  # merges of merges this deep only come from hostile input
        return None
    for merged in getattr(mapping, merge_attrib, ()):
        found = _owner(merged, key, depth + 1)
        if found is not None:
            return found
    return None


class _CollectingConstructor(RoundTripConstructor):
    """Records duplicate keys and keeps the first value, so one pass reports every duplicate."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.duplicates: list[tuple[Any, Any, Any]] = []

    def check_mapping_key(
        self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any
    ) -> bool:
        if key in mapping:
            self.duplicates.append((key, key_node.start_mark, node.start_mark))
            return False
        return True

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError as exc:
            # A date-like scalar that is no date (2025-02-30): keep its place, like a YAML error.
            message = f"{node.value!r} looks like a date but is none: {exc}"
            raise ConstructorError(None, None, message, node.start_mark) from None


# Dispatch goes through a table of functions, not the method: register the override there.
_CollectingConstructor.add_constructor(
    "tag:yaml.org,2002:timestamp", _CollectingConstructor.construct_yaml_timestamp
)


@dataclass(frozen=True, slots=True)
class Loaded:
    """The document's root node (None when it could not be built), and the loader's problems."""

    root: Node | None
    problems: tuple[CatalogProblem, ...]


def load(text: str, filename: str) -> Loaded:
    yaml = YAML(typ="rt")
    yaml.Constructor = _CollectingConstructor
    try:
        document = yaml.load(text)
    except MarkedYAMLError as exc:
        return Loaded(None, (_syntax_problem(exc, filename),))
    except ReaderError as exc:
        line, column = _line_col(text, exc.position)
        return Loaded(None, (CatalogProblem(filename, line, column, "", _reader_message(exc)),))
    except Exception as exc:
        # The loader is third-party code fed untrusted text; some inputs make it raise plain
        # errors (nesting deeper than the stack allows). Whatever it raises means "not a
        # catalog"; no place is known, so the problem names the start of the file.
        return Loaded(None, (CatalogProblem(filename, 1, 1, "", f"cannot read YAML: {exc}"),))
    root = None if document is None else Node(document, "", *_root_place(document))
    constructor: _CollectingConstructor = yaml.constructor
    duplicates = _duplicate_problems(constructor.duplicates, root, filename)
    return Loaded(root, duplicates)


def _root_place(document: object) -> tuple[int, int]:
    lc = getattr(document, "lc", None)
    if lc is None or lc.line is None:
        return 1, 1
    return lc.line + 1, lc.col + 1


def _syntax_problem(exc: MarkedYAMLError, filename: str) -> CatalogProblem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    message = str(exc.problem or exc.context or "invalid YAML").strip()
    if exc.context and exc.problem:
        context = str(exc.context).strip()
        started = exc.context_mark
        if started is not None and started.line + 1 != line:
            # An unclosed quote or bracket fails far below where it opened: name both places.
            context = f"{context} started at line {started.line + 1}"
        message = f"{message} ({context})"
    return CatalogProblem(filename, line, column, "", message)


def _reader_message(exc: ReaderError) -> str:
    if isinstance(exc.character, bytes):
        return f"cannot decode byte 0x{ord(exc.character):02x}: {exc.reason}"
    return f"character U+{exc.character:04X} is not allowed in YAML ({exc.reason})"


def _line_col(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    line = before.count("\n") + 1
    return line, position - (before.rfind("\n") + 1) + 1


def _duplicate_problems(
    duplicates: list[tuple[Any, Any, Any]], root: Node | None, filename: str
) -> tuple[CatalogProblem, ...]:
    if not duplicates:
        return ()
    paths = _mapping_paths(root)
    problems = []
    for key, key_mark, mapping_mark in duplicates:
        parent = paths.get((mapping_mark.line, mapping_mark.column), "")
        problems.append(
            CatalogProblem(
                filename,
                key_mark.line + 1,
                key_mark.column + 1,
                join(parent, key),
                f"duplicate key {str(key)!r}: each key may appear only once in a mapping",
            )
        )
    return tuple(problems)


def _mapping_paths(root: Node | None) -> dict[tuple[int, int], str]:
    """The dotted path of every mapping, by the 0-based place where it starts.

    Iterative and guarded against aliases that make the tree a cycle, since the input is untrusted.
    """
    paths: dict[tuple[int, int], str] = {}
    seen: set[int] = set()
    stack: list[tuple[object, str]] = [(root.value, "")] if root is not None else []
    while stack:
        value, path = stack.pop()
        if not isinstance(value, Mapping) or id(value) in seen:
            continue
        seen.add(id(value))
        lc = getattr(value, "lc", None)
        if lc is not None and lc.line is not None:
            paths.setdefault((lc.line, lc.col), path)
        stack.extend((child, join(path, key)) for key, child in value.items())
    return paths
