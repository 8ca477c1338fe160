from __future__ import annotations

from mcp_servers.sentry_monitor.src.sentry.links import next_cursor, parse_link_header

SENTRY = (
    '<https://sentry.io/api/0/organizations/acme/issues/?&cursor=0:0:1>; rel="previous"; results="false"; '
    'cursor="0:0:1", <https://sentry.io/api/0/organizations/acme/issues/?&cursor=0:100:0>; rel="next"; '
    'results="true"; cursor="0:100:0"'
)


def test_sentry_link_header_gives_the_next_cursor() -> None:
    links = parse_link_header(SENTRY)
    assert [(link.rel, link.results, link.cursor) for link in links] == [
        ("previous", False, "0:0:1"),
        ("next", True, "0:100:0"),
    ]
    assert next_cursor(SENTRY) == "0:100:0"


def test_last_page_has_no_next_cursor() -> None:
    assert next_cursor(SENTRY.replace('results="true"', 'results="false"')) is None


def test_missing_or_garbage_header_has_no_cursor() -> None:
    assert next_cursor(None) is None
    assert next_cursor("") is None
    assert parse_link_header("not a link header") == []


def test_set_literal_wrapper_and_cursor_only_in_the_url() -> None:
    header = (
        '{\'<https://gt.example/api/0/issues/?limit=3>; rel="previous"; results="false", '
        '<https://gt.example/api/0/issues/?cursor=cD0y&limit=3>; rel="next"; results="true"\'}'
    )
    assert next_cursor(header) == "cD0y"


def test_link_without_results_attribute_counts_when_it_has_a_cursor() -> None:
    assert next_cursor("<https://x/?cursor=abc>; rel=next") == "abc"
    assert next_cursor("<https://x/>; rel='next'") is None


def test_glitchtip_header_as_measured_in_issue_6() -> None:
    header = (
        '{\'<https://gt.example/api/0/organizations/acme/issues/?project=1&limit=3>; rel="previous"; '
        'results="false", <https://gt.example/api/0/organizations/acme/issues/?project=1&cursor=cD0yMDI1&limit=3>; '
        'rel="next"; results="true"; cursor="cD0yMDI1"\'}'
    )
    links = parse_link_header(header)
    assert [(link.rel, link.results, link.cursor) for link in links] == [
        ("previous", False, None),
        ("next", True, "cD0yMDI1"),
    ]
    assert next_cursor(header) == "cD0yMDI1"
    assert next_cursor(header.replace('results="true"', 'results="false"')) is None
