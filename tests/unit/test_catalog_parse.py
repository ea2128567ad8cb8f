"""Reading a valid catalog file into a CatalogSpec (the format of docs/catalog.md)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from status_dashboard.domain.catalog import CatalogSpec, EnvironmentSpec, GroupSpec, ItemSpec
from status_dashboard.domain.model import Translation
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.catalog import (
    CatalogInvalid,
    CatalogProblem,
    parse_catalog,
    read_catalog,
)


def parse(text: str) -> CatalogSpec:
    return parse_catalog(textwrap.dedent(text), "test.yaml")


def only_environment(text: str) -> EnvironmentSpec:
    (environment,) = parse(text).environments
    return environment


def only_group(text: str) -> GroupSpec:
    (group,) = only_environment(text).groups
    return group


def only_item(item_fields: str) -> ItemSpec:
    text = "environments:\n  prod:\n    groups:\n      iam:\n        name: IAM\n        items:\n"
    text += "          idp:\n" + textwrap.indent(textwrap.dedent(item_fields), " " * 12)
    (item,) = only_group(text).items
    return item


def test_a_full_catalog_becomes_the_spec_it_describes() -> None:
    spec = parse(
        """\
        version: 1
        environments:
          prod:
            name: Production
            default: true
            strict: false
            groups:
              iam:
                id: AXAQooF-9v9nOdhekPYm
                name: "1. IAM - Identity & Access Management"
                order: 1
                items:
                  idp-authorization:
                    id: 715d31b5a498a4587fedc57dada6a9df
                    name: "eHealth IDP - Identity provider - Authorization management"
                    order: 1
                    status: disrupted
                    description: "User can not select profile anymore"
                    translations:
                      nl:
                        name: "eHealth IDP - Beheer van autorisaties"
                        description: "Geen profiel"
        """
    )

    assert spec == CatalogSpec(
        environments=(
            EnvironmentSpec(
                key="prod",
                order=1,
                name="Production",
                strict=False,
                is_default=True,
                groups=(
                    GroupSpec(
                        key="iam",
                        name="1. IAM - Identity & Access Management",
                        order=1,
                        id="AXAQooF-9v9nOdhekPYm",
                        items=(
                            ItemSpec(
                                key="idp-authorization",
                                name="eHealth IDP - Identity provider - Authorization management",
                                order=1,
                                id="715d31b5a498a4587fedc57dada6a9df",
                                status=StatusCode.DISRUPTED,
                                description="User can not select profile anymore",
                                translations={
                                    "nl": Translation(
                                        name="eHealth IDP - Beheer van autorisaties",
                                        description="Geen profiel",
                                    )
                                },
                            ),
                        ),
                    ),
                ),
            ),
        )
    )


def test_an_environment_may_declare_nothing_but_its_key() -> None:
    environment = only_environment("environments:\n  acc:\n")

    assert environment == EnvironmentSpec(key="acc", order=1)


def test_settings_left_out_stay_none_so_the_store_keeps_them() -> None:
    environment = only_environment("environments:\n  acc: {groups: {}}\n")

    assert (environment.name, environment.strict, environment.is_default) == (None, None, None)


def test_orders_default_to_the_position_in_the_file() -> None:
    spec = parse(
        """\
        environments:
          prod:
            groups:
              iam:
                name: IAM
                items: {idp: {name: IDP}, sts: {name: STS}, m2m: {name: M2M}}
              etee: {name: ETEE}
          acc: {}
        """
    )

    prod, acc = spec.environments
    assert (prod.order, acc.order) == (1, 2)
    assert [g.order for g in prod.groups] == [1, 2]
    assert [i.order for i in prod.groups[0].items] == [1, 2, 3]


def test_explicit_orders_are_kept_even_when_they_reverse_the_file() -> None:
    group = only_group(
        """\
        environments:
          prod:
            groups:
              iam:
                name: IAM
                items:
                  idp: {name: IDP, order: 20}
                  sts: {name: STS, order: 10}
        """
    )

    assert [(i.key, i.order) for i in group.items] == [("idp", 20), ("sts", 10)]


def test_environments_may_give_their_own_order() -> None:
    spec = parse("environments:\n  int: {order: 3}\n  acc: {order: 2}\n")

    assert [(e.key, e.order) for e in spec.environments] == [("int", 3), ("acc", 2)]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("operational", StatusCode.OPERATIONAL),
        ("disrupted", StatusCode.DISRUPTED),
        ("unknown", StatusCode.UNKNOWN),
        ("Disrupted", StatusCode.DISRUPTED),
        ("1", StatusCode.OPERATIONAL),
        ("2", StatusCode.DISRUPTED),
        ("3", StatusCode.UNKNOWN),
        ('"2"', StatusCode.DISRUPTED),
    ],
)
def test_a_status_is_read_from_its_name_or_its_code(written: str, expected: StatusCode) -> None:
    assert only_item(f"name: IDP\nstatus: {written}\n").status is expected


def test_an_item_without_status_leaves_it_to_the_store() -> None:
    assert only_item("name: IDP\n").status is None


def test_names_and_descriptions_are_stripped() -> None:
    item = only_item('name: "  IDP  "\ndescription: "  Slow logins.  "\n')

    assert (item.name, item.description) == ("IDP", "Slow logins.")


@pytest.mark.parametrize("written", ['""', '"   "', "", "~", "null"])
def test_an_empty_description_means_no_description(written: str) -> None:
    assert only_item(f"name: IDP\ndescription: {written}\n").description is None


def test_a_description_may_span_lines_as_a_block() -> None:
    item = only_item("name: IDP\ndescription: |\n  Logins fail.\n  Use the keystore.\n")

    assert item.description == "Logins fail.\nUse the keystore."


def test_strings_come_out_as_plain_str_not_yaml_subclasses() -> None:
    item = only_item("name: IDP\ndescription: >\n  Folded\n  text\n")

    assert type(item.name) is str
    assert type(item.description) is str


def test_translations_may_give_a_name_a_description_or_both() -> None:
    item = only_item(
        """\
        name: IDP
        translations:
          nl: {name: Identiteitsprovider}
          fr: {description: "Connexion lente"}
          de: {name: Identitätsanbieter, description: Langsam}
        """
    )

    assert dict(item.translations) == {
        "nl": Translation(name="Identiteitsprovider"),
        "fr": Translation(description="Connexion lente"),
        "de": Translation(name="Identitätsanbieter", description="Langsam"),
    }


def test_translations_cannot_be_changed_after_parsing() -> None:
    item = only_item("name: IDP\ntranslations: {nl: {name: Identiteitsprovider}}\n")

    with pytest.raises(TypeError):
        item.translations["fr"] = Translation(name="x")  # type: ignore[index]


def test_anchors_and_merge_keys_share_fields_between_items() -> None:
    group = only_group(
        """\
        environments:
          prod:
            groups:
              iam:
                name: IAM
                items:
                  idp: &down
                    name: IDP
                    status: disrupted
                    description: Datacenter failover in progress
                  sts:
                    <<: *down
                    name: STS
        """
    )

    idp, sts = group.items
    assert (sts.name, sts.status, sts.description) == (
        "STS",
        StatusCode.DISRUPTED,
        "Datacenter failover in progress",
    )
    assert idp.name == "IDP"


def test_an_aliased_translation_is_shared_by_value() -> None:
    group = only_group(
        """\
        environments:
          prod:
            groups:
              iam:
                name: IAM
                items:
                  idp: {name: IDP, translations: &tr {nl: {name: Aanmelden}}}
                  sts: {name: STS, translations: *tr}
        """
    )

    assert group.items[0].translations == group.items[1].translations


def test_yaml_booleans_in_any_spelling_of_true_are_accepted() -> None:
    environment = only_environment("environments:\n  int: {strict: True, default: TRUE}\n")

    assert (environment.strict, environment.is_default) == (True, True)


def test_the_version_may_be_left_out() -> None:
    assert parse("environments:\n  prod:\n").environments[0].key == "prod"


def test_comments_and_a_byte_order_mark_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_bytes("\ufeff# our platform\nenvironments:\n  prod: # main\n".encode())

    assert read_catalog(path).environments[0].key == "prod"


def test_a_problem_reads_like_a_compiler_message() -> None:
    problem = CatalogProblem(
        "catalogs/x.yaml", 12, 9, "environments.prod.groups.iam.items.idp.status", "must be 1"
    )

    assert str(problem) == (
        "catalogs/x.yaml:12:9: environments.prod.groups.iam.items.idp.status: must be 1"
    )


def test_a_problem_without_a_field_leaves_the_field_out() -> None:
    assert str(CatalogProblem("x.yaml", 0, 0, "", "no such file")) == "x.yaml:0:0: no such file"


def test_an_invalid_catalog_lists_its_problems_one_per_line_in_file_order() -> None:
    invalid = CatalogInvalid(
        [
            CatalogProblem("x.yaml", 9, 1, "b", "second"),
            CatalogProblem("x.yaml", 2, 5, "a", "first"),
        ]
    )

    assert str(invalid) == "x.yaml:2:5: a: first\nx.yaml:9:1: b: second"
    assert [p.line for p in invalid.problems] == [2, 9]


def test_a_missing_file_is_one_problem_on_line_zero(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"

    with pytest.raises(CatalogInvalid) as caught:
        read_catalog(path)

    assert caught.value.problems == (CatalogProblem(str(path), 0, 0, "", "no such file"),)


def test_a_directory_is_not_a_catalog(tmp_path: Path) -> None:
    with pytest.raises(CatalogInvalid, match="is a directory"):
        read_catalog(tmp_path)


def test_a_file_that_is_not_utf8_is_one_problem_naming_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("environments:\n  prod: {name: Brüssel}\n".encode("latin-1"))

    with pytest.raises(CatalogInvalid) as caught:
        read_catalog(path)

    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (0, 0)
    assert "not UTF-8" in problem.message
    assert "0xfc" in problem.message


def test_problems_name_the_file_as_it_was_given(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("environments: []\n", encoding="utf-8")

    with pytest.raises(CatalogInvalid) as caught:
        read_catalog(path)

    assert caught.value.problems[0].file == str(path)


def test_the_complete_example_in_the_docs_parses() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "catalog.md"
    text = docs.read_text(encoding="utf-8")
    example = text.split("## A complete example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]

    spec = parse_catalog(example, "docs/catalog.md")

    assert [e.key for e in spec.environments] == ["prod", "acc", "int"]
    sts_saml11 = spec.environments[1].groups[0].items[1]
    assert (sts_saml11.name, sts_saml11.status) == (
        "WebService eHealth - STS - SAML 1.1 Token Service",
        StatusCode.DISRUPTED,
    )
