"""Every form a secret can take in text we show or store is redacted (issue 15, point 1)."""

from __future__ import annotations

import json

from attini_sdk.backends.redaction import REDACTED, Redactor, secret_forms
from attini_sdk.backends.records import redact_values

PEM = ("-----BEGIN PRIVATE KEY-----\n"
       "MC4CAQAwBQYDK2VwBCIEIOx3Vf0hZ7yQ8kqzJ3+a9bKpRt1nWx2oC4sLmUe5dFgh\n"
       "-----END PRIVATE KEY-----\n")
SPECIAL = 'p"a\\ss\tw\u00f6rd\u2603'


def test_a_number_secret_is_redacted_as_text_and_as_a_json_number():
    r = Redactor([987654321])
    assert r.text("pin is 987654321.") == "pin is ***."
    assert r.value({"pin": 987654321, "other": 12, "s": "987654321"}) == {"pin": REDACTED, "other": 12, "s": REDACTED}
    assert redact_values([987654321.0 - 0.5, 987654321], ["987654321"]) == [987654320.5, REDACTED]


def test_a_multi_line_secret_is_redacted_line_by_line_and_as_a_block():
    r = Redactor([PEM])
    block = "before\n" + PEM + "after"
    assert r.text(block) == "before\n***after"  # the trailing newline belongs to the secret
    for line in PEM.splitlines():
        assert r.text(f"job: {line}") == "job: ***"
    assert "MC4CAQAw" not in r.text(json.dumps({"key": PEM}))


def test_the_json_escaped_form_of_a_secret_is_redacted():
    r = Redactor([SPECIAL])
    for dumped in (json.dumps({"p": SPECIAL}), json.dumps({"p": SPECIAL}, ensure_ascii=False)):
        assert r.text(dumped) == '{"p": "***"}'
    assert r.text(SPECIAL) == REDACTED


def test_secret_references_are_shown_as_stars_and_nothing_else_changes():
    r = Redactor([])
    assert r.text("url=db://u:{{attini:secret:DbPassword}}@h") == "url=db://u:***@h"
    assert r.value({"n": 1, "b": True, "s": "plain"}) == {"n": 1, "b": True, "s": "plain"}


def test_short_lines_and_booleans_are_not_forms():
    assert secret_forms(True) == set()
    forms = secret_forms("ab\ncd\nlong-enough")
    assert "ab" not in forms and "long-enough" in forms


def test_longer_forms_win_over_their_parts():
    r = Redactor(["abc", "abcdef"])
    assert r.text("xabcdefx abc") == "x***x ***"


def test_numbers_inside_other_numbers_and_words_are_redacted_as_text_only_where_they_occur():
    r = Redactor([4711.5, 918273645501])
    assert r.value({"a": 4711.5, "b": [918273645501, 1]}) == {"a": REDACTED, "b": [REDACTED, 1]}
    assert r.text("x=918273645501;y=4711.5") == "x=***;y=***"


from hypothesis import given, settings, strategies as st  # noqa: E402

_SECRETS = st.text(min_size=6, max_size=40).filter(lambda s: s.strip() == s and len(s.strip()) >= 6)


@settings(max_examples=150, deadline=None)
@given(secret=_SECRETS, before=st.text(max_size=20), after=st.text(max_size=20))
def test_no_text_or_json_rendering_of_a_secret_survives_redaction(secret, before, after):
    r = Redactor([secret])
    for shown in (before + secret + after, json.dumps({"k": before + secret + after}),
                  json.dumps([secret], ensure_ascii=False)):
        redacted = r.text(shown)
        assert secret not in redacted
        assert json.dumps(secret)[1:-1] not in redacted
    for line in secret.splitlines():
        if len(line.strip()) >= 4:
            assert line.strip() not in r.text(f"job printed: {line.strip()}\n")


def test_a_secret_that_is_part_of_a_reference_never_cuts_the_reference():
    from attini_sdk.backends.secret_refs import make_ref, resolve, to_refs

    secrets = {"DbPassword": "Password", "Token": "secret"}
    kept = Redactor(secrets.values(), refs=False).value(to_refs({"a": "Password and secret"}, secrets))
    assert kept == {"a": f"{make_ref('DbPassword')} and {make_ref('Token')}"}
    assert resolve(kept, secrets) == {"a": "Password and secret"}
    assert Redactor(secrets.values()).text(kept["a"]) == "*** and ***"
