"""Every problem of a catalog file is reported, with its line, column and field path."""

from __future__ import annotations

import textwrap

import pytest

from status_dashboard.service.catalog import CatalogInvalid, CatalogProblem, parse_catalog

GROUP = "environments.prod.groups.iam"
ITEM = f"{GROUP}.items.idp"


def problems_of(text: str) -> tuple[CatalogProblem, ...]:
    with pytest.raises(CatalogInvalid) as caught:
        parse_catalog(text, "catalogs/x.yaml")
    return caught.value.problems


def groups_with(*lines: str) -> str:
    """Groups of `prod`, one a line from line 4."""
    return "environments:\n  prod:\n    groups:\n" + "".join(f"      {line}\n" for line in lines)


def group_with(*lines: str) -> str:
    """A group `iam` in `prod` whose fields start on line 5."""
    head = "environments:\n  prod:\n    groups:\n      iam:\n"
    return head + "".join(f"        {line}\n" for line in lines)


def item_with(*lines: str) -> str:
    """An item `idp` named IDP in group `iam`, whose further fields start on line 9."""
    head = group_with("name: IAM", "items:", "  idp:", "    name: IDP")
    return head + "".join(f"            {line}\n" for line in lines)


LONG_NAME = "x" * 201
LONG_DESCRIPTION = "x" * 2001

CASES = [
    # --- the top of the file
    pytest.param(
        "environments:\n  prod:\nowner: me\n",
        3,
        "owner",
        "unknown field 'owner'",
        id="unknown top-level field",
    ),
    pytest.param("version: 2\nenvironments:\n  prod:\n", 1, "version", "must be 1", id="version 2"),
    pytest.param(
        'version: "1"\nenvironments:\n  prod:\n', 1, "version", "must be 1", id="version as text"
    ),
    pytest.param("version: 1\n", 1, "environments", "is required", id="no environments"),
    pytest.param(
        "environments:\n  - prod\n",
        2,
        "environments",
        "must be a mapping of environment keys",
        id="environments as a list",
    ),
    pytest.param(
        "environments: {}\n",
        1,
        "environments",
        "at least one environment",
        id="no environment at all",
    ),
    # --- environments
    pytest.param(
        "environments:\n  PROD:\n",
        2,
        "environments.PROD",
        "not a valid environment key",
        id="uppercase environment key",
    ),
    pytest.param(
        "environments:\n  1:\n",
        2,
        "environments.1",
        "keys must be text",
        id="numeric environment key",
    ),
    pytest.param(
        "environments:\n  metrics:\n",
        2,
        "environments.metrics",
        "cannot be an environment key: /metrics is another page",
        id="environment key of another page",
    ),
    pytest.param(
        "environments:\n  prod: [a]\n",
        2,
        "environments.prod",
        "an environment must be a mapping",
        id="environment as a list",
    ),
    pytest.param(
        "environments:\n  prod:\n    colour: red\n",
        3,
        "environments.prod.colour",
        "unknown field 'colour'",
        id="unknown environment field",
    ),
    pytest.param(
        "environments:\n  prod:\n    strict: yes\n",
        3,
        "environments.prod.strict",
        "must be true or false",
        id="strict yes",
    ),
    pytest.param(
        "environments:\n  prod:\n    strict: 1\n",
        3,
        "environments.prod.strict",
        "must be true or false",
        id="strict 1",
    ),
    pytest.param(
        'environments:\n  prod:\n    default: "true"\n',
        3,
        "environments.prod.default",
        "must be true or false",
        id="default as text",
    ),
    pytest.param(
        "environments:\n  prod: {default: true}\n  acc: {default: true}\n",
        3,
        "environments.acc.default",
        "only one environment can be the default",
        id="two defaults",
    ),
    pytest.param(
        f"environments:\n  prod:\n    name: {LONG_NAME}\n",
        3,
        "environments.prod.name",
        "201 characters",
        id="environment name too long",
    ),
    pytest.param(
        "environments:\n  prod: {order: 0}\n",
        2,
        "environments.prod.order",
        "whole number from 1",
        id="environment order zero",
    ),
    pytest.param(
        "environments:\n  prod: {order: 2}\n  acc: {order: 2}\n",
        3,
        "environments.acc.order",
        "already used by environment 'prod'",
        id="environment orders clash",
    ),
    pytest.param(
        "environments:\n  prod:\n    groups: [iam]\n",
        3,
        "environments.prod.groups",
        "must be a mapping of group keys",
        id="groups as a list",
    ),
    # --- groups
    pytest.param(
        group_with("order: 1"), 4, f"{GROUP}.name", "is required", id="group without name"
    ),
    pytest.param(
        group_with('name: ""'), 5, f"{GROUP}.name", "must not be empty", id="group name empty"
    ),
    pytest.param(
        group_with("name:"), 5, f"{GROUP}.name", "must not be empty", id="group name null"
    ),
    pytest.param(
        group_with("name: 1"),
        5,
        f"{GROUP}.name",
        "must be text, not the number 1",
        id="group name a number",
    ),
    pytest.param(
        group_with('name: "IAM\\nIDP"'),
        5,
        f"{GROUP}.name",
        "single line",
        id="group name on two lines",
    ),
    pytest.param(
        group_with("name: IAM", "id: AXAQooF"),
        6,
        f"{GROUP}.id",
        "is not a valid id",
        id="group id too short",
    ),
    pytest.param(
        group_with("name: IAM", "id: 12345678901234567890"),
        6,
        f"{GROUP}.id",
        "must be text",
        id="group id read as a number",
    ),
    pytest.param(
        group_with("name: IAM", 'order: "1"'),
        6,
        f"{GROUP}.order",
        "whole number",
        id="group order as text",
    ),
    pytest.param(
        group_with("name: IAM", "order: 1.5"),
        6,
        f"{GROUP}.order",
        "whole number",
        id="group order a fraction",
    ),
    pytest.param(
        group_with("name: IAM", "order: true"),
        6,
        f"{GROUP}.order",
        "whole number",
        id="group order a boolean",
    ),
    pytest.param(
        group_with("name: IAM", "order: -1"),
        6,
        f"{GROUP}.order",
        "whole number",
        id="group order negative",
    ),
    pytest.param(
        group_with("name: IAM", "checks: []"),
        6,
        f"{GROUP}.checks",
        "unknown field 'checks'",
        id="unknown group field",
    ),
    pytest.param(
        group_with("name: IAM", "items: none"),
        6,
        f"{GROUP}.items",
        "must be a mapping of item keys",
        id="items as text",
    ),
    pytest.param(
        "environments:\n  prod:\n    groups:\n      iam: [a]\n",
        4,
        GROUP,
        "a group must be a mapping",
        id="group as a list",
    ),
    pytest.param(
        "environments:\n  prod:\n    groups:\n      my group: {name: x}\n",
        4,
        "environments.prod.groups.my group",
        "not a valid group key",
        id="group key with a space",
    ),
    pytest.param(
        groups_with("iam: {name: IAM, order: 1}", "etee: {name: ETEE, order: 1}"),
        5,
        "environments.prod.groups.etee.order",
        "already used by group 'iam'",
        id="group orders clash",
    ),
    pytest.param(
        groups_with("iam: {name: IAM, order: 2}", "etee: {name: ETEE}"),
        5,
        "environments.prod.groups.etee.order",
        "its position in the file",
        id="group order clashes with a position",
    ),
    # --- items
    pytest.param(
        group_with("name: IAM", "items:", "  idp:", "    order: 1"),
        7,
        f"{ITEM}.name",
        "is required",
        id="item without name",
    ),
    pytest.param(
        item_with("status: broken"),
        9,
        f"{ITEM}.status",
        "must be 1, 2 or 3 (or operational, disrupted, unknown)",
        id="status misspelt",
    ),
    pytest.param(item_with("status: 4"), 9, f"{ITEM}.status", "must be 1, 2 or 3", id="status 4"),
    pytest.param(
        item_with("status: true"), 9, f"{ITEM}.status", "must be 1, 2 or 3", id="status a boolean"
    ),
    pytest.param(
        item_with(f"description: {LONG_DESCRIPTION}"),
        9,
        f"{ITEM}.description",
        "2001 characters",
        id="description too long",
    ),
    pytest.param(
        item_with("description: 42"),
        9,
        f"{ITEM}.description",
        "must be text",
        id="description a number",
    ),
    pytest.param(
        item_with("monitor: on"),
        9,
        f"{ITEM}.monitor",
        "unknown field 'monitor'",
        id="unknown item field",
    ),
    pytest.param(
        item_with("checks: {web: {type: tcp}}"),
        9,
        f"{ITEM}.checks",
        "must be a list of checks, not a mapping",
        id="checks as a mapping",
    ),
    pytest.param(
        item_with("id: 715D31B5A498A4587FEDC57DADA6A9DF"),
        9,
        f"{ITEM}.id",
        "32 lowercase hexadecimal digits",
        id="item id uppercase",
    ),
    pytest.param(
        item_with("id: 12345678901234567890123456789012"),
        9,
        f"{ITEM}.id",
        "must be text",
        id="item id read as a number",
    ),
    pytest.param(item_with("order: 0"), 9, f"{ITEM}.order", "whole number", id="item order zero"),
    pytest.param(
        group_with("name: IAM", "items:", "  IDP: {name: IDP}"),
        7,
        f"{GROUP}.items.IDP",
        "not a valid item key",
        id="uppercase item key",
    ),
    pytest.param(
        group_with("name: IAM", "items:", "  idp: IDP"),
        7,
        f"{GROUP}.items.idp",
        "an item must be a mapping",
        id="item as text",
    ),
    # --- translations
    pytest.param(
        item_with("translations: [nl]"),
        9,
        f"{ITEM}.translations",
        "must be a mapping of languages",
        id="translations as a list",
    ),
    pytest.param(
        item_with("translations:", "  en: {name: IDP}"),
        10,
        f"{ITEM}.translations.en",
        "unknown language 'en'",
        id="english translation",
    ),
    pytest.param(
        item_with("translations:", "  nl: {}"),
        10,
        f"{ITEM}.translations.nl",
        "needs a name, a description or both",
        id="empty translation",
    ),
    pytest.param(
        item_with("translations:", "  nl: Aanmelden"),
        10,
        f"{ITEM}.translations.nl",
        "a translation must be a mapping",
        id="translation as text",
    ),
    pytest.param(
        item_with("translations:", "  nl: {title: x}"),
        10,
        f"{ITEM}.translations.nl.title",
        "unknown field 'title'",
        id="unknown translation field",
    ),
    pytest.param(
        item_with("translations:", f"  fr: {{name: {LONG_NAME}}}"),
        10,
        f"{ITEM}.translations.fr.name",
        "201 characters",
        id="translated name too long",
    ),
    # --- rules across entries
    pytest.param(
        groups_with(
            "iam: {name: IAM, items: {idp: {name: IDP}}}",
            "etee: {name: ETEE, items: {idp: {name: IDP again}}}",
        ),
        5,
        "environments.prod.groups.etee.items.idp",
        "already used in group 'iam'",
        id="item key in two groups",
    ),
    pytest.param(
        group_with(
            "name: IAM",
            "items:",
            "  idp: {name: IDP, id: 715d31b5a498a4587fedc57dada6a9df}",
            "  sts: {name: STS, id: 715d31b5a498a4587fedc57dada6a9df}",
        ),
        8,
        f"{GROUP}.items.sts.id",
        f"already the id of {ITEM}",
        id="item id pinned twice",
    ),
    pytest.param(
        "environments:\n  prod:\n    groups: {iam: {name: IAM, id: AXAQooF-9v9nOdhekPYm}}\n"
        "  acc:\n    groups: {iam: {name: IAM, id: AXAQooF-9v9nOdhekPYm}}\n",
        5,
        "environments.acc.groups.iam.id",
        f"already the id of {GROUP}",
        id="group id pinned in two environments",
    ),
]


@pytest.mark.parametrize(("text", "line", "field", "fragment"), CASES)
def test_each_mistake_is_one_problem_at_its_line_and_field(
    text: str, line: int, field: str, fragment: str
) -> None:
    (problem,) = problems_of(text)

    assert (problem.file, problem.line, problem.field) == ("catalogs/x.yaml", line, field)
    assert fragment in problem.message


def test_the_column_points_at_the_offending_value() -> None:
    (problem,) = problems_of(item_with("status: broken"))

    assert problem.column == len("            status: ") + 1


def test_a_missing_field_points_at_the_entry_that_lacks_it() -> None:
    (problem,) = problems_of(group_with("order: 1"))

    assert (problem.line, problem.column) == (4, len("      ") + 1)


def test_every_problem_of_a_file_is_reported_in_one_pass_in_file_order() -> None:
    text = textwrap.dedent(
        """\
        version: 2
        environments:
          prod:
            strict: yes
            groups:
              iam:
                items:
                  idp:
                    name: IDP
                    status: broken
                    checks: {}
                  sts:
                    order: zero
          acc:
            default: maybe
        """
    )

    problems = problems_of(text)

    assert [(p.line, p.field) for p in problems] == [
        (1, "version"),
        (4, "environments.prod.strict"),
        (6, "environments.prod.groups.iam.name"),
        (10, "environments.prod.groups.iam.items.idp.status"),
        (11, "environments.prod.groups.iam.items.idp.checks"),
        (12, "environments.prod.groups.iam.items.sts.name"),
        (13, "environments.prod.groups.iam.items.sts.order"),
        (15, "environments.acc.default"),
    ]


def test_the_error_text_lists_the_problems_one_per_line() -> None:
    text = "environments:\n  prod:\n    strict: yes\n    default: no\n"

    with pytest.raises(CatalogInvalid) as caught:
        parse_catalog(text, "catalogs/x.yaml")

    assert str(caught.value).splitlines() == [
        "catalogs/x.yaml:3:13: environments.prod.strict: must be true or false, not the text 'yes'",
        "catalogs/x.yaml:4:14: environments.prod.default: must be true or false, not the text 'no'",
    ]


def test_a_problem_in_merged_fields_is_reported_where_the_anchor_wrote_it() -> None:
    text = group_with(
        "name: IAM",
        "items:",
        "  idp: &down {name: IDP, status: broken}",
        "  sts: {<<: *down, name: STS}",
    )

    problems = problems_of(text)

    assert [(p.line, p.field) for p in problems] == [
        (7, f"{ITEM}.status"),
        (7, f"{GROUP}.items.sts.status"),
    ]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        pytest.param("environments:\n  prod:\n\tgroups: {}\n", 3, "'\\t'", id="tab indentation"),
        pytest.param(
            "environments:\n  prod:\n    groups: {iam: [\n", 4, "expected", id="unclosed bracket"
        ),
        pytest.param(
            "environments:\n  prod: *nowhere\n", 2, "undefined alias", id="undefined alias"
        ),
        pytest.param(
            "environments:\n  prod:\n---\nenvironments:\n", 3, "single document", id="two documents"
        ),
        pytest.param(
            "environments:\n  prod:\n    name: Bad\x07\n", 3, "U+0007", id="control character"
        ),
        pytest.param(
            "environments:\n  prod:\n    name: 2025-02-30\n",
            3,
            "looks like a date",
            id="impossible date",
        ),
        pytest.param(
            "environments:\n  prod:\n  name: x\n    strict: true\n",
            4,
            "not allowed here",
            id="bad indentation",
        ),
    ],
)
def test_a_yaml_syntax_error_is_a_problem_at_its_line(text: str, line: int, fragment: str) -> None:
    (problem,) = problems_of(text)

    assert problem.line == line
    assert fragment in problem.message


def test_an_unclosed_quote_names_the_line_where_it_opened() -> None:
    (problem,) = problems_of('environments:\n  prod:\n    name: "Production\n\n')

    assert "started at line 3" in problem.message


def test_every_duplicate_key_is_reported_with_its_line_and_path() -> None:
    text = textwrap.dedent(
        """\
        environments:
          prod:
            groups:
              iam:
                name: IAM
                name: IAM again
          acc:
          prod:
        """
    )

    problems = problems_of(text)

    assert [(p.line, p.column, p.field) for p in problems] == [
        (6, 9, "environments.prod.groups.iam.name"),
        (8, 3, "environments.prod"),
    ]
    assert all("duplicate key" in p.message for p in problems)


def test_duplicate_keys_do_not_hide_the_other_problems() -> None:
    text = "environments:\n  prod:\n    strict: yes\n    strict: no\n"

    problems = problems_of(text)

    assert [(p.line, p.field) for p in problems] == [
        (3, "environments.prod.strict"),
        (4, "environments.prod.strict"),
    ]
    assert "must be true or false" in problems[0].message
    assert "duplicate key" in problems[1].message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("", "the file is empty", id="empty"),
        pytest.param("# nothing yet\n\n", "the file is empty", id="only comments"),
        pytest.param("- prod\n- acc\n", "the catalog must be a mapping", id="a list"),
        pytest.param("prod\n", "the catalog must be a mapping", id="a word"),
    ],
)
def test_a_file_without_a_mapping_at_the_top_is_one_problem_on_line_one(
    text: str, fragment: str
) -> None:
    (problem,) = problems_of(text)

    assert problem.line == 1
    assert fragment in problem.message
