"""The key-result coaching check (okrs.quality) and its batch command.

Two labelled sets, written for this project in our own words: key_results_labelled.jsonl
(development: the rules were written against it) and key_results_holdout.jsonl (written before
any rule existed and run once, at the end). That first and only blind run agreed on 102 of 105
kinds and on every baseline and target; its three misses were then read, and fixed by general
rules (a gerund naming a kind of thing, participles used as adjectives), so the hold-out is no
longer strictly unseen. Both sets must agree with the labels at least 90% of the time on output
versus outcome and 95% on whether a baseline and a target are present. The agreement tests
print their confusion counts (run pytest with -s to see them).
"""

from __future__ import annotations

import io
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from okrs import quality
from okrs.quality import Finding, Report, check_key_result, summarise

DATA = Path(__file__).parent

KIND_THRESHOLD = 0.90
PRESENCE_THRESHOLD = 0.95


def codes(text: str, **fields) -> tuple[str, ...]:
    return check_key_result(text, **fields).codes


def finding(report: Report, code: str) -> Finding:
    matches = [f for f in report.findings if f.code == code]
    assert matches, f"no {code} in {report.codes} for {report.statement!r}"
    return matches[0]


# --------------------------------------------------------------------------------------------
# Agreement with the labelled sets
# --------------------------------------------------------------------------------------------


def load(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def agreement(rows: list[dict]) -> dict[str, float]:
    """Agreement on kind, baseline and target presence; prints the confusion counts."""
    kind = Counter()
    baseline = Counter()
    target = Counter()
    for row in rows:
        report = check_key_result(row["text"])
        kind[(row["kind"], report.kind)] += 1
        baseline[(row["has_baseline"], report.has_baseline)] += 1
        target[(row["has_target"], report.has_target)] += 1
    n = len(rows)
    print(f"\n{n} key results (rows: labelled, columns: predicted)")
    print("kind       output  outcome")
    for label in ("output", "outcome"):
        print(f"  {label:<8} {kind[(label, 'output')]:6} {kind[(label, 'outcome')]:8}")
    for name, counts in (("baseline", baseline), ("target", target)):
        print(f"{name:<10} absent  present")
        for label in (False, True):
            text = "present" if label else "absent"
            print(f"  {text:<8} {counts[(label, False)]:6} {counts[(label, True)]:8}")
    result = {
        "kind": sum(v for (a, b), v in kind.items() if a == b) / n,
        "baseline": sum(v for (a, b), v in baseline.items() if a == b) / n,
        "target": sum(v for (a, b), v in target.items() if a == b) / n,
    }
    print("agreement  " + "  ".join(f"{k} {v:.3f}" for k, v in result.items()))
    return result


@pytest.mark.parametrize("name", ["key_results_labelled.jsonl", "key_results_holdout.jsonl"])
def test_agreement_with_labelled_key_results(name):
    rows = load(name)
    assert len(rows) >= 100
    result = agreement(rows)
    assert result["kind"] >= KIND_THRESHOLD
    assert result["baseline"] >= PRESENCE_THRESHOLD
    assert result["target"] >= PRESENCE_THRESHOLD


def test_labelled_sets_are_well_formed_and_disjoint():
    development, holdout = load("key_results_labelled.jsonl"), load("key_results_holdout.jsonl")
    for row in development + holdout:
        assert set(row) >= {"text", "kind", "has_baseline", "has_target"}
        assert row["kind"] in ("output", "outcome")
        assert isinstance(row["has_baseline"], bool) and isinstance(row["has_target"], bool)
    texts = [row["text"] for row in development + holdout]
    assert len(texts) == len(set(texts)), "an example appears twice"
    assert len(development) >= 300
    # Both kinds well represented, across many domains.
    assert min(Counter(r["kind"] for r in development).values()) >= 100
    assert len({r["domain"] for r in development}) >= 15


# --------------------------------------------------------------------------------------------
# Output or outcome
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Finish moving the billing service onto Kubernetes by end of Q3",
        "Ship the redesigned invoice page",
        "Write runbooks for the five noisiest alerts",
        "Move 70% of batch jobs onto the new scheduler",  # a number does not make an outcome
        "Cut the release checklist from 14 items to 6",  # from/to over the team's own artefact
        "Hire three data engineers",
        "Run two incident-response workshops",
        "Increase unit test coverage to 75%",
        "Reduce the number of Helm charts from 80 to 30",
        "Close 150 tech-debt tickets",
        "Roll out SSO to all internal dashboards",
        "GA release of the export API by Nov 30",
        "Search reindexing pipeline live in production",
        "Achieve ISO 27001 certification",
        "Every tier-1 service has an owner and a runbook",
        "Kafka",
    ],
)
def test_outputs(text):
    report = check_key_result(text)
    assert report.kind == "output", report.reasons
    assert "output" in report.codes
    assert report.suggestion


@pytest.mark.parametrize(
    "text",
    [
        "Reduce p99 latency of the quotes API from 1.1 s to 350 ms",
        "p95 time to first byte on the help site under 250 ms",  # no verb
        "Availability ≥ 99.95% for the public API",
        "Sign 12 new design partners",  # counts of customers and partners are outcomes
        "40 teams using the new CI templates",  # adoption by others
        "Onboard 15 product teams onto the feature-flag service",
        "Cut monthly GPU spend by 20% vs last quarter",
        "Keep error budget burn below 1x every month",
        "Halve the time from merge to production",
        "Deploy to production at least 10 times a day",  # deploy at a frequency
        "Resolve 90% of priority tickets within 4 business hours",  # a service level
        "Support 20k concurrent sessions per node",  # a measured load
        "Migrate checkout to the new gateway to cut failed payments from 1.2% to 0.4%",
        "Launch the community forum and grow it to 3,000 members",
        "90% of production traffic served over TLS 1.3",  # protection, framed as a state
        "Improve developer satisfaction",  # vague, but a change in state
        "Speed up CI",
        "Zero Sev1 incidents caused by certificate expiry",
    ],
)
def test_outcomes(text):
    report = check_key_result(text)
    assert report.kind == "outcome", report.reasons
    assert "output" not in report.codes
    assert report.suggestion is None


def test_output_finding_quotes_the_work_and_asks_the_question():
    text = "[Payments] Finish moving the billing service onto Kubernetes by end of Q3"
    report = check_key_result(text)
    found = finding(report, "output")
    assert found.quote == "Finish moving the billing service"
    assert found.span is not None and text[found.span[0] : found.span[1]] == found.quote
    assert f"“{found.quote}”" in found.message
    # The question: could it be done while the problem stays unsolved?
    assert "finished while the problem" in found.message
    assert report.reasons == (found.quote,)


def test_suggestion_is_specific_to_the_object_and_domain():
    cases = {
        "Complete the move of the login service to the new identity provider": "login failure",
        "Migrate CI from Jenkins to Buildkite": "CI pipeline duration",
        "Tune alert thresholds for the on-call rotation": "pages per on-call week",
        "Publish reference docs for the webhooks API": "support questions about",
        "Finish moving the billing service onto Kubernetes": "error rate of the billing service",
        "Move 70% of batch jobs onto the new scheduler": "failed or late runs of the batch jobs",
        "Decommission the legacy FTP server": "running cost",
    }
    for text, expected in cases.items():
        suggestion = check_key_result(text).suggestion
        assert suggestion is not None and expected in suggestion, (text, suggestion)
        assert suggestion.startswith("Instead of “")
        assert "from <now> to <target>" in suggestion


def test_suggestion_quotes_the_deliverable_without_its_date():
    suggestion = check_key_result("Ship the partner SDK by Sept 30").suggestion
    assert suggestion is not None
    assert suggestion.startswith("Instead of “Ship the partner SDK”")


# --------------------------------------------------------------------------------------------
# Baseline and target presence, read from the text
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "has_baseline", "has_target"),
    [
        ("Reduce build time from 42 minutes to under 15", True, True),
        ("Achieve 99.9% uptime, up from 99.5%", True, True),
        ("Raise activation to 45%", False, True),
        ("Uptime ≥ 99.9%", False, True),
        ("Error rate below 0.2%", False, True),
        ("p95 under 250 ms", False, True),
        ("Cut cloud spend by 30%", False, True),
        ("Shrink the image catalogue from 14 formats to 6", True, True),
        ("2x weekly active teams", False, True),
        ("Halve the review wait", False, True),
        ("Reduce incidents vs last quarter", False, False),  # no number: no baseline
        ("Reduce incidents by 20% vs 14 last quarter", True, True),
        ("Reduce MTTR (currently 4h) to 1h", True, True),
        ("MTTR 4h → 45min", True, True),
        ("Lower queue wait from 9 minutes", True, False),
        ("NPS > 40 (Q2: 31)", True, True),
        ("Churn ≤ 2% (baseline 3.1%)", True, True),
        ("Reduce vulnerability age from a median of 30 days to under 10", True, True),
        ("Increase deploy frequency from weekly to daily", True, True),
        ("Zero P1 incidents", False, True),
        ("Eliminate manual database failovers", False, True),
        ("Reduce P1 bugs to single digits", False, True),
        # numbers that are not values
        ("Ship the beta by Sept 30", False, False),
        ("Launch self-serve exports in Q3 2026", False, False),
        ("Reduce tier 1 escalations", False, False),
        ("Improve 30-day retention", False, False),
        ("Reduce p95 latency of the 5xx handler", False, False),
        ("Upgrade Postgres from 13 to 16", False, False),
        ("Move to Python 3.13", False, False),
        ("Ship the MVP within 6 weeks", False, False),  # a deadline
        ("Resolve P1 tickets within 4 hours", False, True),  # a service level
        ("Rightsize the 40 largest instances", False, False),
        ("Optimise the top 20 slowest queries", False, False),
        ("Reduce cost per 1,000 requests", False, False),
        ("Backfill 3 years of invoices", False, False),
    ],
)
def test_presence_read_from_text(text, has_baseline, has_target):
    report = check_key_result(text)
    assert (report.has_baseline, report.has_target) == (has_baseline, has_target)
    assert ("no_baseline" in report.codes) is not has_baseline
    assert ("no_target" in report.codes) is not has_target


def test_no_baseline_quotes_the_target_and_names_the_metric():
    report = check_key_result("Reduce p95 search latency to 300 ms")
    found = finding(report, "no_baseline")
    assert found.quote == "to 300 ms"
    assert "“to 300 ms”" in found.message and "“p95”" in found.message
    assert "stands today" in found.message


def test_no_target_quotes_the_baseline_or_the_direction():
    found = finding(check_key_result("Lower CI queue wait from 9 minutes"), "no_target")
    assert found.quote == "from 9 minutes"
    assert "starting point" in found.message
    found = finding(check_key_result("Reduce login errors"), "no_target")
    assert found.quote == "Reduce login errors"
    assert "direction but no value" in found.message


def test_no_metric_names_the_gap():
    report = check_key_result("Launch dark mode")
    found = finding(report, "no_metric")
    assert "“Launch dark mode”" in found.message
    assert "no number, unit or measure" in found.message
    assert found.span is None
    assert not report.has_metric
    # A metric noun, a unit or a number is enough.
    for named in ("Improve page speed", "Reduce login errors", "Hire 4 engineers"):
        assert "no_metric" not in codes(named), named


# --------------------------------------------------------------------------------------------
# Target not beyond the baseline, by direction
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "baseline", "target", "flagged"),
    [
        ("increase", 40, 50, False),
        ("increase", 40, 40, True),
        ("increase", 40, 30, True),
        ("decrease", 40, 30, False),
        ("decrease", 40, 40, True),
        ("decrease", 40, 50, True),
        # Holding directions are a line to hold: never flagged.
        ("stay_above", 99.9, 99.5, False),
        ("stay_above", 99.5, 99.9, False),
        ("stay_below", 2, 1, False),
        ("stay_below", 1, 2, False),
    ],
)
def test_target_beyond_baseline_follows_the_direction(direction, baseline, target, flagged):
    report = check_key_result(
        "Availability of the API", baseline=baseline, target=target, direction=direction
    )
    assert ("target_not_beyond_baseline" in report.codes) is flagged
    assert report.direction == direction


def test_target_not_beyond_names_both_values_and_the_sense():
    # No direction given, and none readable from "queue depth": nothing to judge.
    assert codes("Payment queue depth", baseline=Decimal("99.5"), target=99.5) == ()
    # "success rate" says higher is better.
    assert "target_not_beyond_baseline" in codes(
        "Payment success rate", baseline=Decimal("99.5"), target=99.5
    )
    report = check_key_result(
        "Payment queue depth", baseline=Decimal("99.5"), target=99.5, direction="increase"
    )
    found = finding(report, "target_not_beyond_baseline")
    assert "target 99.5 equals the baseline 99.5" in found.message
    assert "go up" in found.message
    report = check_key_result(
        "p95 latency", baseline=300, target=400, unit="ms", direction="decrease"
    )
    found = finding(report, "target_not_beyond_baseline")
    assert "target 400 ms is not below the baseline 300 ms" in found.message


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Increase availability from 99.9% to 99.5%", True),  # wrong side
        ("Improve checkout conversion from 3% to 3%", True),  # equal
        ("Reduce p95 build time from 12 minutes to 15 minutes", True),
        ("Improve p95 latency from 300 ms to 400 ms", True),  # polarity of the metric
        ("Shrink the landing bundle from 600KB to 1.8MB", True),  # units normalised
        ("Cut nightly export runtime from 2 hours to 30 minutes", False),
        ("Reduce build time from 42 minutes to under 15", False),
        ("Bring P1 response time from 4 hrs to 1 hr", False),
        ("Keep p99 under 300 ms (now 280 ms)", False),  # holding
        ("Improve response from 5 to 4", False),  # no sense can be read: no guess
    ],
)
def test_target_not_beyond_baseline_from_text(text, flagged):
    report = check_key_result(text)
    assert ("target_not_beyond_baseline" in report.codes) is flagged, report.direction


def test_target_not_beyond_quotes_the_numbers_as_written():
    text = "Reduce p95 build time from 12 minutes to 15 minutes"
    found = finding(check_key_result(text), "target_not_beyond_baseline")
    assert found.quote == "from 12 minutes to 15 minutes"
    assert found.span is not None and text[found.span[0] : found.span[1]] == found.quote
    assert "target 15 minutes is not below the baseline 12 minutes" in found.message


# --------------------------------------------------------------------------------------------
# Structured fields override the text
# --------------------------------------------------------------------------------------------


def test_structured_fields_fill_the_gaps_the_text_leaves():
    assert set(codes("Reduce p95 latency")) == {"no_baseline", "no_target"}
    assert codes("Reduce p95 latency", baseline=800, target=300, unit="ms") == ()
    assert codes("Reduce p95 latency", target=300, unit="ms") == ("no_baseline",)
    assert codes("Reduce p95 latency", baseline=Decimal("800")) == ("no_target",)


def test_structured_direction_overrides_the_words():
    text = "Increase queue depth from 40 to 60"
    assert "target_not_beyond_baseline" not in codes(text)
    assert "target_not_beyond_baseline" in codes(text, direction="decrease")
    # An unknown direction is ignored, not trusted.
    assert check_key_result(text, direction="sideways").direction == "increase"


def test_structured_values_override_the_text_values():
    text = "Reduce p95 latency from 800 ms to 300 ms"
    assert "target_not_beyond_baseline" not in codes(text)
    report = check_key_result(text, baseline=300, target=800, unit="ms")
    assert "target_not_beyond_baseline" in report.codes
    assert (report.baseline, report.target) == (0.3, 0.8)  # in seconds, like the text's


def test_a_metric_name_or_unit_names_the_metric():
    assert "no_metric" in codes("Launch dark mode")
    assert "no_metric" not in codes("Launch dark mode", metric_name="Weekly active users")
    assert "no_metric" not in codes("Launch dark mode", unit="%")
    # The kind is still read from the words.
    assert check_key_result("Launch dark mode", metric_name="WAU").kind == "output"


# --------------------------------------------------------------------------------------------
# Typos, symbols, decorations
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Reduse the p95 checkout latency to 400ms", "outcome"),
        ("Imporve CSAT to 4.6", "outcome"),
        ("Increse weekly active teams to 120", "outcome"),
        ("Lowr the error rate to 0.5%", "outcome"),
        ("Migarte the billing DB to Aurora", "output"),
        ("Implemnt rate limiting on the admin API", "output"),
        ("Refactr the session store", "output"),
        # Known words are never "corrected": mean is not meet, cost is not host.
        ("Mean time to acknowledge under 5 min", "outcome"),
        ("Cost per build minute below $0.01", "outcome"),
    ],
)
def test_typos_in_the_leading_verb(text, kind):
    assert check_key_result(text).kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "- Reduce p95 checkout latency to 400 ms",
        "• Reduce p95 checkout latency to 400 ms",
        "* [ ] Reduce p95 checkout latency to 400 ms",
        "KR2: Reduce p95 checkout latency to 400 ms",
        "O1 KR3 - Reduce p95 checkout latency to 400 ms",
        "[Checkout] Reduce p95 checkout latency to 400 ms",
        "Alice - Reduce p95 checkout latency to 400 ms",
        "Tom & Ana: Reduce p95 checkout latency to 400 ms",
        "(owner: Bob) Reduce p95 checkout latency to 400 ms",
        "Reduce p95 checkout latency to 400 ms (owner: Bob, due 30/09)",
        "Reduce p95 checkout latency to 400 ms by end of Q3 ✅",
    ],
)
def test_decorations_are_set_aside_and_spans_stay_exact(text):
    report = check_key_result(text)
    assert report.kind == "outcome"
    assert (report.has_baseline, report.has_target) == (False, True)
    found = finding(report, "no_baseline")
    assert found.quote == "to 400 ms"
    assert found.span is not None and text[found.span[0] : found.span[1]] == "to 400 ms"


def test_a_metric_name_before_a_colon_is_not_an_owner():
    report = check_key_result("NPS: 45 (Q2: 31)")
    assert report.kind == "outcome"
    assert (report.has_baseline, report.has_target) == (True, True)


@pytest.mark.parametrize(
    ("text", "baseline", "target"),
    [
        ("Errors ~0.8% -> <0.2%", 0.8, 0.2),
        ("Uptime 99.5% ⇒ 99.9%", 99.5, 99.9),
        ("p95 ≤ 250 ms, from 400 ms", 0.4, 0.25),
        ("Cut spend from $1.2M to $900k", 1.2e6, 9e5),
        ("Error rate from 0,8% to 0,2%", 0.8, 0.2),  # decimal commas
        ("Reduce ETL runtime from 5h 30m to 2h", 19800, 7200),
    ],
)
def test_symbols_and_number_formats(text, baseline, target):
    report = check_key_result(text)
    assert (report.has_baseline, report.has_target) == (True, True)
    assert report.baseline == pytest.approx(baseline)
    assert report.target == pytest.approx(target)


def test_blank_statements_have_nothing_to_say():
    for text in ("", "   ", "✅", "KR1:"):
        report = check_key_result(text)
        assert report.findings == () and report.suggestion is None, text


def test_long_and_odd_input_does_not_break_the_check():
    for text in ("x" * 500, "→ → ≥≥ %%", "from to by under", "Réduire la latence de 800 à 300"):
        report = check_key_result(text)
        assert report.kind in ("output", "outcome")
        for f in report.findings:
            assert f.code in quality.CODES
            if f.span is not None:
                assert text[f.span[0] : f.span[1]] == f.quote


# --------------------------------------------------------------------------------------------
# Summary, determinism, shape
# --------------------------------------------------------------------------------------------


def test_summary_counts_outputs_and_gaps():
    good = check_key_result("Reduce p95 latency from 800 ms to 300 ms")
    output = check_key_result("Launch dark mode")
    no_baseline = check_key_result("Reduce p95 latency to 300 ms")
    assert summarise([]) is None
    assert summarise([good, good]) is None
    assert summarise([output]) == (
        "1 of 1 key result looks like an output; 1 has no baseline; 1 has no numeric target"
    )
    assert summarise([output, output, good]).startswith("2 of 3 key results look like outputs")
    assert summarise([good, no_baseline, good]) == "1 has no baseline"
    assert summarise(iter([good, no_baseline, no_baseline])) == "2 have no baseline"


def test_the_check_is_deterministic_and_order_independent():
    texts = [row["text"] for row in load("key_results_labelled.jsonl")[:120]]
    first = [check_key_result(t) for t in texts]
    quality._word_flags.cache_clear()
    again = [check_key_result(t) for t in reversed(texts)]
    assert first == list(reversed(again))


def test_report_as_dict_is_the_batch_shape():
    data = check_key_result("Launch dark mode").as_dict()
    assert list(data) == ["text", "kind", "findings"]
    assert data["kind"] == "output"
    assert all(set(f) == {"code", "message"} for f in data["findings"])
    json.dumps(data)  # serialisable as it is


# --------------------------------------------------------------------------------------------
# manage.py check_key_results
# --------------------------------------------------------------------------------------------


def run_command(*args: str, stdin: str | None = None) -> tuple[list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    options = {"stdout": out, "stderr": err}
    if stdin is not None:
        options["stdin"] = io.StringIO(stdin)
    call_command("check_key_results", *args, **options)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_command_reads_plain_lines_and_skips_blank_ones(tmp_path):
    path = tmp_path / "krs.txt"
    path.write_text(
        "Launch dark mode\n\n   \nReduce p95 latency from 800 ms to 300 ms\n", encoding="utf-8"
    )
    rows, err = run_command(str(path))
    assert [r["text"] for r in rows] == [
        "Launch dark mode",
        "Reduce p95 latency from 800 ms to 300 ms",
    ]
    assert [r["kind"] for r in rows] == ["output", "outcome"]
    assert {f["code"] for f in rows[0]["findings"]} == {
        "output",
        "no_metric",
        "no_baseline",
        "no_target",
    }
    assert rows[1]["findings"] == []
    assert all(list(r) == ["text", "kind", "findings"] for r in rows)
    assert "Checked 2 key results: 1 looks like an output." in err


def test_command_reads_json_lines_with_structured_fields(tmp_path):
    path = tmp_path / "krs.jsonl"
    lines = [
        {"text": "Increase NPS", "baseline": 40, "target": 30, "direction": "increase"},
        {"text": "Reduce p95 latency", "baseline": "800", "target": "300", "unit": "ms"},
        {"text": "Keep availability above the line", "target": "99.9%", "direction": "stay_above"},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    rows, _ = run_command(str(path))
    assert [f["code"] for f in rows[0]["findings"]] == ["target_not_beyond_baseline"]
    assert rows[1]["findings"] == []
    assert [f["code"] for f in rows[2]["findings"]] == ["no_baseline"]


def test_command_reports_bad_lines_and_carries_on(tmp_path):
    path = tmp_path / "krs.jsonl"
    path.write_text(
        "\n".join(
            [
                "Launch dark mode",
                '{"text": "Reduce churn", "target": 3',  # malformed JSON
                '{"baseline": 3}',  # no text
                '{"text": "Reduce churn", "baseline": "lots"}',
                '{"text": "Reduce churn", "direction": "down"}',
                "Reduce churn from 5% to 3%",
            ]
        ),
        encoding="utf-8",
    )
    rows, err = run_command(str(path))
    assert len(rows) == 6
    assert rows[0]["kind"] == "output" and rows[5]["kind"] == "outcome"
    errors = rows[1:5]
    assert [e["line"] for e in errors] == [2, 3, 4, 5]
    assert all(set(e) == {"line", "error"} for e in errors)
    assert errors[0]["error"].startswith("invalid JSON")
    assert '"text"' in errors[1]["error"]
    assert '"baseline" must be a number' in errors[2]["error"]
    assert '"direction" must be one of' in errors[3]["error"]
    assert "4 lines could not be read" in err


def test_command_reads_stdin():
    rows, _ = run_command("-", stdin='Sign 12 new design partners\n{"text": "Launch dark mode"}\n')
    assert [(r["text"], r["kind"]) for r in rows] == [
        ("Sign 12 new design partners", "outcome"),
        ("Launch dark mode", "output"),
    ]


def test_command_handles_a_byte_order_mark(tmp_path):
    path = tmp_path / "excel.txt"
    path.write_bytes("\ufeffLaunch dark mode\n".encode())
    rows, _ = run_command(str(path))
    assert rows[0]["text"] == "Launch dark mode"


def test_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("check_key_results", str(tmp_path / "nope.txt"), stdout=io.StringIO())


def test_summary_counts_every_finding_that_asks_for_a_second_look() -> None:
    flat = check_key_result("Raise checkout conversion from 3.1% to 3.1%")
    assert "target_not_beyond_baseline" in flat.codes
    assert summarise([flat]) == "1 has its target not beyond the baseline"
    vague = check_key_result("Reduce the pain of on-call")
    assert "no_metric" in vague.codes and vague.kind != "output"
    assert "1 names no metric" in summarise([vague])


def test_a_count_of_defects_is_an_outcome_and_dashboards_get_relevant_advice() -> None:
    # Found in the demo: a measured count of mismatches was read as work done.
    report = check_key_result(
        "Cut settlement discrepancies between the two pipelines from 35 to 0 a week"
    )
    assert report.kind == "outcome"
    dashboard = check_key_result("Build a real-time payment status dashboard for merchants")
    assert dashboard.kind == "output"
    assert "checkout conversion" not in dashboard.suggestion
    assert "support tickets and questions" in dashboard.suggestion
