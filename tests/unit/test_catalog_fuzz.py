"""Whatever a file holds, reading it fails only with CatalogInvalid, never with a crash."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from status_dashboard.domain.catalog import CatalogSpec
from status_dashboard.service.catalog import CatalogInvalid, parse_catalog, read_catalog

# Characters that YAML gives meaning to, so the text reaches far into the parser.
_YAML_ALPHABET = list("abcprod :-{}[],&*!<>|'\"\n\t #%@`?~=1203.\\\x00\x07é\ufeff")

yamlish_text = st.text(alphabet=st.sampled_from(_YAML_ALPHABET), max_size=300)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["prod", "iam", "name", "status", "order", "items", "groups", "disrupted"]),
)
keys = st.one_of(
    st.sampled_from(["prod", "acc", "iam", "idp", "name", "order", "status", "id", "nl", "checks"]),
    st.sampled_from(["groups", "items", "translations", "description", "default", "strict"]),
    st.text(max_size=10),
)
trees = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=40,
)


def outcome(read: Callable[[], CatalogSpec]) -> CatalogSpec | CatalogInvalid:
    """The spec read, or the CatalogInvalid raised; any other exception fails the test."""
    try:
        return read()
    except CatalogInvalid as invalid:
        return invalid


def parses_or_is_invalid(text: str) -> None:
    result = outcome(lambda: parse_catalog(text))

    assert isinstance(result, CatalogSpec) or result.problems


@settings(deadline=None)
@given(st.text(max_size=500))
def test_any_text_is_a_catalog_or_invalid(text: str) -> None:
    parses_or_is_invalid(text)


@settings(deadline=None)
@given(yamlish_text)
def test_text_made_of_yaml_punctuation_is_a_catalog_or_invalid(text: str) -> None:
    parses_or_is_invalid(text)


@settings(deadline=None)
@given(trees)
def test_any_shape_of_environments_is_a_catalog_or_invalid(tree: object) -> None:
    # JSON is YAML too: a cheap way to write arbitrary well-formed documents.
    parses_or_is_invalid(json.dumps({"environments": tree}))


@settings(deadline=None, max_examples=50)
@given(st.binary(max_size=300))
def test_any_bytes_in_a_file_are_a_catalog_or_invalid(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "catalog.yaml"
        path.write_bytes(data)
        result = outcome(lambda: read_catalog(path))

    assert isinstance(result, CatalogSpec) or result.problems
