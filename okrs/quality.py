"""The key-result coaching check: is a key result an output or an outcome, and what is it
missing?

A pure, deterministic function of the statement (and of the structured fields when the form
has them). The setting page calls it as the lead types and on save; it never blocks a save. It
takes a fraction of a millisecond and uses the standard library only: no model, no network.
Every finding quotes the words, or names the gap, that triggered it.

    report = check_key_result("Complete the auth migration by end of Q3")
    report.kind         # "output"
    report.findings     # (Finding("output", "“Complete the auth migration” reads as ..."), ...)
    report.suggestion   # "Instead of “...”, measure what it should change: “Reduce login ..."
    summarise(reports)  # "2 of 3 key results look like outputs; 1 has no baseline"

Codes: ``output``, ``no_metric``, ``no_baseline``, ``no_target``,
``target_not_beyond_baseline``.

How it reads a statement
------------------------
1. **Set decorations aside.** Owner and numbering prefixes ("[Platform] ", "KR2:", "O1 KR3 -",
   "Alice -", "(owner: Bob)"), bullets, checkboxes and a trailing ✅ are skipped, not deleted:
   tokens keep their offsets in the original text, so quotes and spans are exact. Symbols are
   read as words (``≥`` at least, ``≤`` at most, ``→``/``->`` an arrow, ``~`` about, ``↓``/``↑``
   down/up). A misspelt leading verb ("reduse", "imporve", "migarte", "Lowr") is matched to the
   verb lists at edit distance 1, transpositions included, through a deletion index built at
   import (a handful of dict probes, not a scan).

2. **Give every number a role.** Most of the work of reading presence from plain text, because
   statements are full of numbers that are not values: identifiers (p95, 5xx, tier 1, Sev-2,
   SOC 2, TLS 1.3, Python 3.12, "from Kubernetes 1.26 to 1.29" in an upgrade), dates ("by Sept
   30", "Q3 2025", "due 30/09", "by week 6", "the 2026 hiring plan"), denominators ("per 1,000
   requests", "4.5/5"), definitions ("30-day retention", "within 7 days" inside parentheses),
   and scopes ("the top 20", "the 10 most-used APIs", "3 years of history"). The rest are
   values, with units normalised (ms/s/min/h/days, %, KB/MB, k/M, $, "2x", percentage points;
   frequencies "daily"/"weekly" where they are compared).

3. **Baseline and target.** A baseline is a value introduced as a starting point: "from 42 min",
   "up/down from", "X → Y", "X to Y", "currently", "today", "was", "baseline:", "(Q2: 2.3s)",
   "(99.4% last quarter)", "vs 3.1%" ("vs last quarter" with no number is not one), "instead of
   monthly". A target is any other value to reach: "to 95%", "under 250 ms", "≥ 99.9%", "by
   30%", "12 new partners", "zero"; relative ones ("2x", "halve", "double", "by a third",
   "single digits") and "eliminate" (a target of zero) count. "within N hours" is a target (a
   service level) except after delivery work, where it is a deadline ("Ship the MVP within 6
   weeks"). Structured fields override the text when given.

4. **Output or outcome.** The test is the domain article's: could the key result be achieved
   without the problem being solved? If yes, it is an output. From text that comes down to
   *who moves the number*. Work the team does and controls (build, ship, migrate, write, hire,
   run sessions, close its own tickets, move its own jobs) is an output even with a number in
   it ("Move 70% of batch jobs onto the new scheduler", "Cut the release checklist from 14
   items to 6"). A measured change in a quantity the team does not set directly (latency,
   failure rates, cost, incidents, satisfaction, adoption, and customers, users, partners or
   other teams choosing to use something) is an outcome. Rules, first match wins:

   a. A secondary clause that states a measured change makes the whole an outcome: "Migrate to
      the new IdP *to cut failed logins from 1.1% to 0.3%*", "Launch X *and reach 200
      accounts*", "... *so that candidate NPS > 50*", "... *with 10 partners onboarded*",
      "...: 2,000 subscribers". It cannot be met by the work alone.
   b. A leading delivery verb (launch, ship, build, migrate, write, hire, train, refactor,
      document, adopt, deprecate, ...) makes an output, except where the object decides:
      deploy/release/ship *at a frequency*; support/scale/handle *a measured load*; deliver
      *a service level*; resolve/respond/fix *within a time or for a share of requests*;
      optimise *a metric with a number*; move/go *a metric from one value to another*; hold
      *a metric at a level*.
   c. Acquiring verbs (sign, win, land, onboard, convert, close, add, get, secure, renew) make
      an outcome when their object is other people or money (customers, users, partners,
      deals, other teams, "$1.5M") and an output when it is staff (hire, onboard or train
      engineers) or an artefact ("Close 200 Jira tickets", "Add Apple Pay").
   d. A change verb (reduce, increase, improve, cut, raise, lower, halve, double, eliminate,
      ...) makes an outcome unless its object is something the team produces and counts
      itself: artefacts (checklist items, dashboards, Terraform modules, PRs, story points,
      tests, test coverage, tech-debt items), a share of artefacts that have another artefact
      ("services with an assigned owner", "incidents without a postmortem") or a share of work
      completed ("% of deploys that are fully automated"). A metric noun beats an artefact
      noun ("failed dbt tests", "p95 latency of the orders service"); other people beat
      artefacts ("developers who complete the quickstart"). Time verbs (speed up, shorten,
      accelerate) and "stabilise" are always outcomes.
   e. A holding or reaching verb (keep, maintain, achieve, reach, hit, have, ensure, make)
      makes an outcome unless it reaches a milestone (GA, feature parity, a certification, a
      launch date), a coverage of artefacts ("All services have runbooks") or a share of work
      completed ("Achieve 100% of laptops enrolled").
   f. Statements without a leading verb are scored: a metric, a rate, a comparison with a
      value, a protection or others adopting point to an outcome ("p95 TTFB under 250 ms",
      "40 teams using the new CI"); a completion word, an artefact, a milestone or a delivery
      verb after the subject point to an output ("Kafka migration done", "Mobile app v4
      released"). A bare name ("Kubernetes") is an output.

   Judgement calls, made once and applied throughout:

   * **Coverage framed as a state of the running world** ("90% of production traffic served
     over TLS 1.3", "100% of repos scanned by SAST", "95% of workloads covered by tested
     backups", "PII encrypted at rest") is an outcome: it describes protection that exists,
     as the article's signed-images example does. **Coverage by artefacts the team writes**
     ("services with runbooks", "dashboards with documented definitions", test coverage) and
     **rollout by the team** ("Roll out MFA to 100% of accounts", "Encrypt all buckets") are
     outputs: they are achieved by producing the artefacts or doing the work.
   * **Hiring** is an output: a headcount can be reached without the capacity problem being
     solved. Attrition, offer acceptance, time to hire and eNPS are outcomes.
   * **Adoption by others** is an outcome ("Onboard 20 teams onto the service mesh", "Get 8
     product teams to adopt the design tokens"); moving them yourself is an output ("Migrate 25
     of 40 teams to the new flag service").
   * **Vague changes** ("Improve DX", "Reduce churn") are outcomes with ``no_metric`` or
     ``no_target``: they name a change in state, just not a measurable one. Vague work on an
     artefact ("Improve the release process", "Improve the onboarding docs") is an output.
   * **Ties go to outcome**: telling a lead that a good key result looks like an output costs
     more trust than missing one.

5. **No metric.** ``no_metric`` when the form gives no metric name, unit, baseline or target
   and the text has no value, no unit, no metric noun and no rate ("Launch dark mode", "Improve
   DX"). A statement that only names a thing is a deliverable ("Kubernetes"), unless the form
   gives it numbers: then it names the metric ("Payment queue depth", baseline 120).

6. **Target not beyond baseline.** With a numeric baseline and target and a direction (given;
   or inferred: reduce/cut/lower/"under"/"down from" decrease, increase/raise/grow/"above"/"up
   from" increase; neutral verbs like improve take the metric's polarity only when all its
   metric words agree), flag a target equal to the baseline or on the wrong side, after
   normalising units ("from 2 hours to 30 minutes", "1.8MB to 600KB"). Holding directions
   (stay_above/stay_below) are a line to hold and are never flagged.

7. **Suggestion.** For outputs, the object of the work ("migration of the authentication
   service" -> "authentication service") and the domain words of the statement choose a
   metric the work should move (auth -> login failure rate, CI -> pipeline duration, on-call ->
   pages per week, docs -> support questions about the topic, batch jobs -> failed or late
   runs, decommissioning -> running cost, ...), phrased "Reduce/Increase <metric> from <now> to
   <target> by <date>".

The labelled examples behind the figures live in ``tests/okrs/key_results_labelled.jsonl``
(development) and ``tests/okrs/key_results_holdout.jsonl`` (written first and kept aside);
``bench/quality.py`` prints the timing.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

__all__ = [
    "CODES",
    "DIRECTIONS",
    "Finding",
    "Report",
    "check_key_result",
    "summarise",
]

OUTPUT = "output"
OUTCOME = "outcome"
CODES = ("output", "no_metric", "no_baseline", "no_target", "target_not_beyond_baseline")
DIRECTIONS = ("increase", "decrease", "stay_above", "stay_below")

Number = float | int | Decimal


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing worth a second look. ``quote`` is the statement's own words that triggered it
    (empty when the finding is a gap); ``span`` is where they are in the statement."""

    code: str
    message: str
    quote: str = ""
    span: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """What the check found in one key result.

    ``baseline``/``target`` are the numbers the direction check uses, structured or read from
    the text, in base units (seconds for times, bytes for sizes, the number itself otherwise),
    or None.
    ``reasons`` quotes the words that decided ``kind``.
    """

    statement: str
    kind: str
    findings: tuple[Finding, ...]
    suggestion: str | None
    has_metric: bool
    has_baseline: bool
    has_target: bool
    direction: str | None
    baseline: float | None
    target: float | None
    reasons: tuple[str, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)

    def as_dict(self) -> dict[str, object]:
        """The shape the batch command writes, one per line."""
        return {
            "text": self.statement,
            "kind": self.kind,
            "findings": [{"code": f.code, "message": f.message} for f in self.findings],
        }


# --------------------------------------------------------------------------------------------
# Lexicons. Space-separated words for readability. Nouns are looked up as written and through
# a naive singulariser; verbs are lemmas whose inflections are generated below.
# --------------------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Work the team does. Some are refined by their object in _decide_led.
DELIVERY_VERBS = _words(
    """launch ship build implement migrate complete deliver write create deploy release publish
    introduce organise organize document hire train refactor rewrite upgrade integrate automate
    finish define design draft conduct perform move replace remove deprecate decommission sunset
    retire consolidate standardise standardize establish develop prototype pilot evaluate
    investigate research explore assess audit review analyse analyze enable configure install
    instrument containerise containerize dockerise dockerize port rebuild redesign revamp
    overhaul modernise modernize fix merge switch transition extend provide offer host present
    attend participate mentor interview negotiate obtain pass finalise finalize start begin
    initiate plan schedule prepare update refresh tag label archive delete purge backfill split
    extract decompose unify centralise centralize encrypt rotate patch remediate harden track
    measure monitor announce communicate share send demo showcase facilitate coach teach certify
    enroll enrol bootstrap provision procure buy purchase license localise localize translate
    internationalise internationalize simplify streamline enhance enforce parallelise
    parallelize cache profile rightsize shard tune source test validate verify benchmark spec
    scope propose approve reorganise reorganize restructure rename embed fill run hold adopt
    support resolve respond answer handle expand scale optimise optimize set roll stand spin
    kick clean shut wire sync collect gather survey open serve lead go take pay"""
)
# A change in a quantity.
CHANGE_VERBS = _words(
    """reduce decrease increase improve cut raise lower grow lift halve double triple quadruple
    boost drop shrink shorten accelerate minimise minimize maximise maximize slash trim lessen
    diminish eliminate shave curb elevate save speed quicken bring drive push ramp stabilise
    stabilize"""
)
DECREASE_VERBS = _words(
    """reduce decrease cut lower halve drop shrink shorten minimise minimize slash trim lessen
    diminish eliminate shave curb save speed quicken accelerate"""
)
INCREASE_VERBS = _words(
    "increase raise grow lift double triple quadruple boost maximise maximize elevate expand"
)
# Verbs that name their metric themselves (a duration, stability): outcomes whatever the object.
TIME_VERBS = _words("speed shorten accelerate shave quicken stabilise stabilize")
# Holding or reaching a level.
HOLD_VERBS = _words(
    """keep maintain sustain stay remain achieve reach hit attain exceed surpass beat meet ensure
    have see make preserve guarantee"""
)
HOLDING_ONLY = _words("keep maintain sustain stay remain preserve hold")
# Winning or keeping people or money: outcomes when the object is others.
ACQUIRE_VERBS = _words(
    """sign win land acquire attract retain renew generate gain earn book close onboard convert
    secure add recruit get"""
)
FREQ_VERBS = _words("deploy release ship")
CAPACITY_VERBS = _words("support scale handle serve process")
SLA_VERBS = _words("resolve respond answer handle close fix acknowledge triage remediate patch")
MOVE_VERBS = _words("move go take bring get push")
OPTIMISE_VERBS = _words("optimise optimize tune")
STAFF_VERBS = _words("hire recruit onboard train certify mentor coach source interview")
PARTICLES = _words("out up down off over in")
# A particle can change a verb's class: "cut over" is a migration, "cut" a change.
PHRASAL_CLASS = {
    ("cut", "over"): "delivery",
    ("close", "out"): "delivery",
    ("sign", "off"): "delivery",
    ("shut", "down"): "delivery",
    ("pay", "down"): "delivery",
    ("sign", "up"): "acquire",
}
IRREGULAR = {
    "built": "build",
    "wrote": "write",
    "written": "write",
    "ran": "run",
    "held": "hold",
    "made": "make",
    "rewritten": "rewrite",
    "rewrote": "rewrite",
    "kept": "keep",
    "met": "meet",
    "brought": "bring",
    "drove": "drive",
    "driven": "drive",
    "got": "get",
    "gotten": "get",
    "grew": "grow",
    "grown": "grow",
    "won": "win",
    "sent": "send",
    "took": "take",
    "taken": "take",
    "went": "go",
    "gone": "go",
    "led": "lead",
    "spun": "spin",
    "stood": "stand",
    "began": "begin",
    "begun": "begin",
    "shrank": "shrink",
    "shrunk": "shrink",
    "saw": "see",
    "seen": "see",
    "paid": "pay",
}

# Things the team produces and controls.
ARTEFACT_NOUNS = _words(
    """service system feature dashboard tool tooling framework runbook doc docs documentation
    guide playbook handbook wiki readme article post blog rfc adr spec plan roadmap strategy
    policy process procedure workflow checklist template workshop training course curriculum
    meeting talk migration upgrade rewrite refactor mvp beta alpha prototype poc pilot
    integration api sdk endpoint library lib module component app application website site
    portal flow ui screen redesign item story pr prs commit test suite linter config
    configuration script automation chart repo repository microservice cluster environment
    database db schema index infrastructure infra platform certification certificate audit
    assessment pentest review postmortem retro retrospective hackathon interview demo okr kpi
    definition lineage catalogue catalog contract board rotation programme program report
    sandbox console cli scaffold flag toggle layer engine model assistant chatbot bot widget
    button mode theme tier variant experiment macro job dag step rule line code debt task epic
    owner ownership notebook gateway proxy mesh collector bucket vm server region market
    language extension plugin addon add-on connector form column dataset lakehouse tutorial faq
    guideline rubric ladder matrix raci charter icon illustration video quickstart helm
    terraform pipeline pull request commitment goal ticket point version release launch check
    sop calendar cadence design analysis investigation evaluation study survey questionnaire"""
)
# Measured quantities of the world.
METRIC_NOUNS = _words(
    """latency response time duration runtime wait delay lag freshness staleness speed
    throughput rps qps tps bandwidth capacity headroom utilisation utilization load availability
    uptime downtime reliability stability durability error failure failed failing crash
    crash-free incident outage mttr mttd mtta mtbf mttf rto rpo slo sla burn noise noisy
    non-actionable actionable nps enps csat ces satisfaction sentiment rating score conversion
    churn churned retention attrition turnover activation adoption usage used using engagement
    active dau wau mau signup sign-up revenue arr mrr gmv booking margin profit cost spend
    spending bill saving price escalation contact complaint bug defect vulnerability vuln cve
    finding exposure age older oldest frequency rollback hotfix toil hour minute unplanned
    predictability accuracy precision recall pass success click-through ctr bounce drop-off
    dropoff abandonment completion acceptance lcp inp cls fid ttfb tti fcp vital render startup
    size weight footprint memory cpu efficiency waste wasted idle duplicate request calls visit
    traffic view pageview search click message event connection
    turnaround happiness wellbeing burnout access secret leak leaked discovery
    discoverability findability relevance health faster slower cheaper quicker fewer lost rate
    ratio percentile mean median average on-time punctuality first-time reopen reopened repeat
    regression contention saturation spike star participation depth discrepancy mismatch
    divergence inconsistency"""
)
# People outside the team whose behaviour is the outcome.
OTHERS_NOUNS = _words(
    """customer user account partner merchant seller buyer workspace organisation organization
    org tenant client logo deal lead signup sign-up install download creator advertiser
    publisher subscriber member visitor reader trial seat learner student patient rider driver
    host guest shopper consumer teams squads developers engineers contract renewal opportunity
    project projects company companies business businesses brand brands store stores prospect
    third-party contributor attendee"""
)
# Staff: hiring, onboarding and training them is activity.
STAFF_NOUNS = _words(
    """engineer developer hire people person headcount sre designer pm manager intern contractor
    candidate staff role recruiter tester team agent"""
)
# Protection that exists in the running world (see "coverage" in the module docstring).
PROTECTIVE_WORDS = _words(
    """waf tls ssl https mfa 2fa encrypted encryption signed signing scanned scanning patched
    backed backup backups protected covered compliant attested hardened"""
)
COMPLETION_WORDS = _words(
    """migrated moved converted onboarded ported upgraded containerised containerized documented
    tagged instrumented deployed released launched shipped live done complete completed
    finished delivered implemented approved issued published merged closed written built
    created rolled retired decommissioned deprecated removed replaced adopted installed
    configured enabled integrated automated refactored rewritten finalised finalized ready
    available signed-off enrolled"""
)
ADOPTION_WORDS = _words(
    """using use uses used adopt adopts adopted adopting onboarded active activated enrolled
    subscribed paying rate rates rating choose chooses invite invites return returning renew
    renews upgrade upgrades"""
)
MILESTONE_WORDS = _words(
    """parity ga beta alpha launch milestone certification certificate certified compliance
    accreditation sign-off signoff approval readiness freeze completion date deadline mvp
    go-live golive cutover soc2 soc hipaa gdpr fedramp iso27001 pci"""
)
# Nouns of change: "Achieve a 25% increase in X" is a change in X.
CHANGE_NOUNS = _words(
    "increase increases reduction reductions decrease improvement growth drop uplift lift cut"
)
# Words that make "tickets" the team's own work items rather than customers' requests.
INTERNAL_TICKET_WORDS = _words("jira debt tech-debt story sprint internal")
# Verbs that also lead as nouns: "Support tickets down 40%", "Build times under 10 min".
NOUN_VERBS = _words(
    "support build release deploy test search review process cost page load plan design run lead"
)
NOUNS_AFTER_NOUN_VERB = _words("backlog queue tickets cases coverage cadence suite frequency chats")
# A number right after one of these names a thing, not a value: "tier 1", "Python 3.12".
ID_WORDS = _words(
    """tier sev severity p priority level phase stage version v type wave gen generation iso soc
    pci owasp http https tls ssl ipv oauth python java node nodejs react angular vue postgres
    postgresql mysql mariadb spark ubuntu debian rhel centos windows ios android macos rails
    django php go golang scala kotlin swift ruby dotnet net jdk openjdk jre elasticsearch
    opensearch kafka redis terraform helm gradle webpack typescript ecmascript es spring airflow
    cassandra mongodb mongo hadoop hive presto trino chrome safari firefox rfc cve wcag gpt
    llama iphone pixel k8s kubernetes day week sprint quarter q h fy step grade round season
    chapter part section class category zone region team squad batch cohort number no nr model
    gke eks aks aurora istio envoy nginx cloudflare jenkins bazel maven npm yarn pnpm aws gcp
    azure s3 ec2 rds lambda dynamodb sqs sns gitlab github bitbucket jira confluence slack zoom
    salesforce hubspot stripe datadog grafana prometheus loki sentry pagerduty snowflake bigquery
    redshift looker tableau dbt fivetran"""
)
# Lower is better for these; higher for the next. Neutral verbs ("improve") read the direction
# from them, and only when they agree.
LOWER_IS_BETTER = _words(
    """latency time duration runtime wait delay lag staleness downtime error failure crash
    incident outage mttr mttd mtta mtbf rto rpo burn noise churn attrition turnover cost spend
    bill price escalation contact complaint bug defect vulnerability cve finding exposure age
    rollback hotfix toil drop-off dropoff bounce abandonment size weight footprint memory waste
    idle duplicate ticket page alert regression"""
)
HIGHER_IS_BETTER = _words(
    """availability uptime conversion nps enps csat satisfaction retention adoption revenue arr
    mrr gmv success pass accuracy precision recall coverage active engagement rating score
    throughput capacity activation usage margin saving relevance predictability star member
    subscriber customer user signup apdex acceptance participation renewal"""
)
FILLER_LEADS = _words(
    """we will we'll to shall must should successfully fully completely significantly further
    also then please aim goal kr key result objective our the team's i'll let's lets"""
)
STOPWORDS = _words(
    """the a an our all every each any this that these those its their his her of for to in on
    at by with from into onto via across within new remaining existing current"""
)
# Running systems whose behaviour is measured: a suggestion says "... for the <topic>".
SYSTEM_NOUNS = _words(
    """service system api app application site website cluster database db platform pipeline
    portal flow page checkout search endpoint gateway queue engine monolith backend frontend
    stack server fleet network store warehouse"""
)

TIME_UNITS = {
    **dict.fromkeys(("ms", "msec", "millisecond", "milliseconds"), 0.001),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0),
    **dict.fromkeys(("d", "day", "days"), 86400.0),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 604800.0),
    **dict.fromkeys(("mo", "month", "months"), 2592000.0),
    **dict.fromkeys(("y", "yr", "yrs", "year", "years"), 31536000.0),
}
SIZE_UNITS = {"b": 1.0, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12}
MAGNITUDES = {"k": 1e3, "K": 1e3, "M": 1e6, "mm": 1e6, "bn": 1e9, "B": 1e9}
POINT_UNITS = _words("pp pts pt points point bps")
# Frequencies, as events per day, where they are compared: "from weekly to daily".
FREQUENCY_WORDS = {
    "hourly": 24.0,
    "daily": 1.0,
    "nightly": 1.0,
    "weekly": 1 / 7,
    "fortnightly": 1 / 14,
    "biweekly": 1 / 14,
    "monthly": 1 / 30,
    "quarterly": 1 / 91,
    "yearly": 1 / 365,
    "annually": 1 / 365,
}
# "one" is left out on purpose: "one of", "in one place" are not values.
NUMBER_WORDS = {
    "zero": 0,
    "once": 1,
    "two": 2,
    "twice": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "dozen": 12,
    "twenty": 20,
    "thirty": 30,
    "fifty": 50,
    "hundred": 100,
}


# --------------------------------------------------------------------------------------------
# Verbs: inflections, classes, typos
# --------------------------------------------------------------------------------------------


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _in(lexicon: frozenset[str], word: str) -> bool:
    return word in lexicon or _singular(word) in lexicon


def _inflections(lemma: str) -> set[str]:
    """Base, third person, past and gerund of a regular verb: enough for a leading verb and
    for subject-first statements ("Mobile app released")."""
    forms = {lemma}
    vowels = "aeiou"
    if lemma.endswith("e"):
        forms |= {lemma + "s", lemma + "d", lemma[:-1] + "ing"}
    elif lemma.endswith("y") and len(lemma) > 2 and lemma[-2] not in vowels:
        forms |= {lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"}
    elif lemma.endswith(("s", "x", "z", "ch", "sh")):
        forms |= {lemma + "es", lemma + "ed", lemma + "ing"}
    else:
        forms |= {lemma + "s", lemma + "ed", lemma + "ing"}
        # Short consonant-vowel-consonant verbs double: ship -> shipped, cut -> cutting.
        if (
            len(lemma) <= 4
            and lemma[-1] not in vowels + "wxy"
            and lemma[-2] in vowels
            and lemma[-3] not in vowels
        ):
            forms |= {lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"}
    return forms


def _verb_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for lemma in DELIVERY_VERBS | CHANGE_VERBS | HOLD_VERBS | ACQUIRE_VERBS:
        for form in _inflections(lemma):
            index.setdefault(form, lemma)
    index.update(IRREGULAR)
    return index


VERB_FORMS = _verb_index()


def _verb_class(lemma: str) -> str:
    """change, hold, acquire or delivery: the first list the lemma is on, in that order."""
    if lemma in CHANGE_VERBS:
        return "change"
    if lemma in HOLD_VERBS:
        return "hold"
    if lemma in ACQUIRE_VERBS:
        return "acquire"
    return "delivery"


# Words never "corrected" into a verb: "Mean time to acknowledge" is not about meeting.
_KNOWN_WORDS = (
    ARTEFACT_NOUNS
    | METRIC_NOUNS
    | OTHERS_NOUNS
    | STAFF_NOUNS
    | STOPWORDS
    | FILLER_LEADS
    | ID_WORDS
    | frozenset(VERB_FORMS)
    | _words(
        """mean median average avg weekly monthly daily data customer cost login search page zero
        every all new net first time total gross annual organic internal external public
        production mobile web core critical high low open paid free self-serve red main unit
        developer engineering security support sales product docs ci cd on-call oncall error
        budget payment payments checkout billing api app email"""
    )
)


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _typo_index() -> dict[str, tuple[str, ...]]:
    """Every verb form under itself and each of its one-letter deletions: a word within edit
    distance 1 of a form shares at least one key with it."""
    index: dict[str, set[str]] = {}
    for form in VERB_FORMS:
        if len(form) >= 4:
            for key in _deletes(form) | {form}:
                index.setdefault(key, set()).add(form)
    return {key: tuple(sorted(forms)) for key, forms in index.items()}


_TYPO_INDEX = _typo_index()


def _osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: Levenshtein plus adjacent transpositions."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _correct_verb(word: str) -> str | None:
    """The verb form a misspelt leading word most likely is, or None. Same first letter and
    distance 1 only: a slip of the keyboard, not a different word. Ties go to the
    alphabetically first form, so the answer is deterministic."""
    if len(word) < 4 or word in _KNOWN_WORDS or not word.isalpha():
        return None
    candidates: set[str] = set()
    for key in _deletes(word) | {word}:
        candidates.update(_TYPO_INDEX.get(key, ()))
    best = sorted(c for c in candidates if c[0] == word[0] and _osa_distance(word, c) == 1)
    return best[0] if best else None


# --------------------------------------------------------------------------------------------
# Text: decorations, tokens, dates
# --------------------------------------------------------------------------------------------

# Decorations before the statement proper, applied repeatedly: "- [ ] KR2: [Platform] ...".
_PREFIX_RE = re.compile(
    r"""^\s*(?:
        (?:[-*•·◦▪‣–—►>]+|\d{1,2}[.)]|[a-z][.)])\s+               # bullets, list numbers
      | \[[ xX✓]?\]\s*                                            # checkboxes
      | (?:O\d+[ .]*)?KR\s*[-#]?\s*\d*(?:\.\d+)?\s*[:.)\-–—]\s*    # KR2:, KR 4 —, O2 KR1:
      | \[[^\]]{1,40}\]\s*                                        # [Platform]
      | \((?:owner|owners|dri|lead|by|assignee)\b[^)]{0,60}\)\s*  # (owner: Sam)
      | (?:goal|target|key\ result)\s*:\s*(?=[A-Za-z])            # Goal: ...
    )""",
    re.VERBOSE | re.IGNORECASE,
)
# "Alice -", "Jane D. -", "Tom & Ana:", "Team Atlas:". The rest must start with a word, and the
# "name" may not be a known word ("NPS: 45", "Baseline: 40%" keep theirs).
_NAME_PREFIX_RE = re.compile(
    r"^\s*([A-Z][\w'’]*\.?(?:\s+(?:[A-Z][\w'’]*\.?|&|and))*)\s*(?:[-–—:]\s+|:)(?=[A-Za-z\[(])"
)
# Asides about people and due dates, anywhere: "(owner: Kim, due 30/09)", "— owner Bob", ✅.
_ASIDE_RE = re.compile(
    r"\((?:\s*(?:owner|owners|dri|assignee|lead|due|deadline|eta)\b)[^)]*\)"
    r"|[—–-]\s*(?:owner|dri|due)\b.*$"
    r"|[✅✔☑️🎯🚀]+",
    re.IGNORECASE,
)
_TOKEN_RE = re.compile(
    r"""
    (?P<arrow>-+>|=+>|→|⟶|➔|➜|⇒|➝|⟹)
  | (?P<cmp>>=|<=|=<|≥|≤|⩾|⩽|<|>|≈|~|=)
  | (?P<idnum>\b24\s?[x/]\s?7\b)
  | (?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:[.,]\d+)*(?:[A-Za-zµ%+]+\d*[A-Za-z]*)?|\.\d+%?)
  | (?P<word>[A-Za-z\u00C0-\u024F][\w'’\u00C0-\u024F]*
        (?:[-.][A-Za-z\d\u00C0-\u024F][\w\u00C0-\u024F]*)*)
  | (?P<sym>[$€£↓↑%+:;,()/\-–—'"“”‘’!?&])
    """,
    re.VERBOSE,
)
_CMP_NORM = {
    ">=": ">=",
    "≥": ">=",
    "⩾": ">=",
    "<=": "<=",
    "=<": "<=",
    "≤": "<=",
    "⩽": "<=",
    "<": "<",
    ">": ">",
    "≈": "~",
    "~": "~",
    "=": "=",
}
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAYNUM = r"\d{1,2}(?:st|nd|rd|th)?"
# Dates and periods. A month name needs a day or a date preposition next to it, so "may" and
# "march" the verbs stay words. Matches may include their preposition ("by Sept 30"): the
# preposition of a date carries nothing the other rules need.
_DATE_RE = re.compile(
    rf"""
    \b\d{{4}}-\d{{1,2}}-\d{{1,2}}\b
  | \b(?:by|before|until|till|due|on|deadline|eta|of)\s\d{{1,2}}[/.]\d{{1,2}}(?:[/.]\d{{2,4}})?\b
  | \b(?:mid|early|late|end)[-\s](?:of\s)?{_MONTHS}(?:\s\d{{4}})?
  | \b{_DAYNUM}\s(?:of\s)?{_MONTHS}(?:,?\s\d{{4}})?\b
  | \b{_MONTHS}\s{_DAYNUM}\b(?:,?\s\d{{4}})?
  | \b(?:by|before|until|till|in|during|from|through|since|of|end\ of|mid|to|for)\s{_MONTHS}
        (?:\s{_DAYNUM}\b)?(?:,?\s\d{{4}})?(?![\w-])
  | \b(?:q[1-4]|h[12])(?:\s?(?:fy)?'?\d{{2,4}})?\b
  | \bfy\s?'?\d{{2,4}}\b
  | \b(?:in|by|of|for|since|from|vs|than|over|during|until|before|after|end|q[1-4]|h[12])
        \s(?:19|20)\d{{2}}\b(?!\s?%)
  | \b(?:19|20)\d{{2}}$
  | \b(?:the\s)?end\sof\s(?:the\s)?
        (?:quarter|year|month|sprint|cycle|period|half|week|day|q[1-4]|h[12])\b
  | \beo[qmyh]\b
  | \b(?:week|wk|sprint)\s\d{{1,2}}\b
  | \b(?:this|next|last|previous|prior|the\sprevious|the\slast)\s
        (?:quarter|month|year|half|sprint|cycle|week)\b
  | \b(?:qoq|yoy|mom|wow)\b
  | \b(?:year|quarter|month|week)\sover\s(?:year|quarter|month|week)\b
    """,
    re.VERBOSE | re.IGNORECASE,
)
_NUMBER_SPLIT_RE = re.compile(r"^((?:\d{1,3}(?:,\d{3})+|\d+)(?:[.,]\d+)*|\.\d+)(.*)$")
_THOUSANDS_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")


class _Tok:
    """A token with its offsets in the original statement.

    kind: "w" word, "n" number, "a" arrow, "c" comparator, "s" other symbol, "d" date.
    norm: the form the rules match on: a lower-case word, "#" for a value, "§" for a number
    that is not one, "@" for a date, "->" for an arrow, ">=", "<=", ... for comparators.
    role (numbers): "value", "window", "id", "version", "per", "scope", "date", "part".
    """

    __slots__ = ("kind", "text", "norm", "start", "end", "value", "unit", "dim", "role")

    def __init__(self, kind: str, text: str, norm: str, start: int, end: int) -> None:
        self.kind = kind
        self.text = text
        self.norm = norm
        self.start = start
        self.end = end
        self.value: float | None = None  # in base units: seconds, bytes, events per day
        self.unit = ""  # as written: "%", "ms", "minutes", "x", "k" ...
        self.dim = ""  # "time", "%", "x", "bytes", "pp", "money", "freq" or "" (a count)
        self.role = ""

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<{self.kind}:{self.text!r}:{self.role or self.norm}>"


def _parse_number(tok: _Tok, money: bool) -> None:
    """Value, unit and dimension of a number token. A suffix that is not a unit makes it an
    identifier (5xx, 3rd, 2fa, 3DS2)."""
    match = _NUMBER_SPLIT_RE.match(tok.text)
    assert match is not None  # the token pattern guarantees a leading number
    digits, suffix = match.groups()
    if "," in digits and not _THOUSANDS_RE.fullmatch(digits):
        digits = digits.replace(",", ".", 1)  # a decimal comma: "99,9%"
    digits = digits.replace(",", "")
    if digits.count(".") > 1:
        tok.role = "version"  # 3.11.2
        return
    value = float(digits)
    suffix = re.sub(r"%+", "%", suffix.rstrip("+"))  # "40+", "99.5%+": at least
    low = suffix.lower()
    dim = "money" if money else ""
    if not suffix:
        pass
    elif low == "%":
        dim = "%"
    elif low == "x":
        dim = "x"
    elif suffix in MAGNITUDES or (money and low in ("m", "b", "bn", "k")):
        value *= MAGNITUDES.get(suffix, MAGNITUDES.get(suffix.upper(), 1.0))
    elif low in TIME_UNITS:
        value *= TIME_UNITS[low]
        dim = "time"
    elif low in SIZE_UNITS:
        value *= SIZE_UNITS[low]
        dim = "bytes"
    elif low in POINT_UNITS:
        dim = "pp"
    else:
        tok.role = "id"
        return
    tok.value = value
    tok.unit = suffix
    tok.dim = dim


def _strip_decorations(text: str) -> tuple[int, int, list[tuple[int, int]]]:
    """Where the statement proper starts and ends, and the asides to skip inside it."""
    start = 0
    for _ in range(6):
        m = _PREFIX_RE.match(text, start)
        if m is None or m.end() == start:
            break
        start = m.end()
    m = _NAME_PREFIX_RE.match(text, start)
    if m is not None:
        name = {w.lower().rstrip(".") for w in re.findall(r"[\w'’]+", m.group(1))}
        if len(name) <= 4 and not name & _KNOWN_WORDS:
            start = m.end()
    masks = [(a.start(), a.end()) for a in _ASIDE_RE.finditer(text, start)]
    return start, len(text.rstrip()), masks


def _tokenise(text: str, start: int, end: int, masks: list[tuple[int, int]]) -> list[_Tok]:
    toks: list[_Tok] = []
    for m in _TOKEN_RE.finditer(text, start, end):
        if any(a <= m.start() < b for a, b in masks):
            continue
        kind, raw = m.lastgroup, m.group()
        if kind == "word":
            low = raw.lower().rstrip(".")
            tok = _Tok("w", raw, low, m.start(), m.end())
            if low in NUMBER_WORDS:
                tok.kind, tok.norm, tok.value = "n", "#", float(NUMBER_WORDS[low])
        elif kind == "num":
            prev = toks[-1] if toks else None
            money = prev is not None and prev.text in "$€£" and prev.end == m.start()
            tok = _Tok("n", raw, "#", m.start(), m.end())
            _parse_number(tok, money)
            if money:
                # "$240k" is one value: the symbol joins the number and its quote.
                toks.pop()
                tok.start, tok.text = prev.start, prev.text + raw  # type: ignore[union-attr]
        elif kind == "idnum":
            tok = _Tok("n", raw, "§", m.start(), m.end())
            tok.role = "id"
        elif kind == "arrow":
            tok = _Tok("a", raw, "->", m.start(), m.end())
        elif kind == "cmp":
            tok = _Tok("c", raw, _CMP_NORM[raw], m.start(), m.end())
        else:
            norm = {"↓": "down", "↑": "up", "–": "-", "—": "-"}.get(raw, raw)
            tok = _Tok("w" if norm in ("down", "up") else "s", raw, norm, m.start(), m.end())
        toks.append(tok)
    return toks


# --------------------------------------------------------------------------------------------
# Number roles (module docstring, step 2)
# --------------------------------------------------------------------------------------------

_UNIT_WORDS = {
    **{w: ("time", f) for w, f in TIME_UNITS.items() if len(w) > 1},
    "percent": ("%", 1.0),
    "pct": ("%", 1.0),
    **dict.fromkeys(POINT_UNITS, ("pp", 1.0)),
    **{w: ("bytes", f) for w, f in SIZE_UNITS.items() if len(w) > 1},
}
_UNIT_SKIP = _words("business working calendar percentage")
_RATE_UNITS = frozenset(_UNIT_WORDS) | {"day", "week", "month", "sec", "s", "h", "min"}
_SUPERLATIVE_RE = re.compile(r"^(?:most|least|\w+est)(?:-|$)|^(?:worst|best|biggest)")
_UPGRADE_WORDS = _words(
    "upgrade upgraded upgrading version versions bump migrate migrating migration move port switch"
)
_SCOPE_PREVS = _words("top first last past rolling trailing")
_YEAR_RE = re.compile(r"20\d\d")


def _assign_roles(text: str, toks: list[_Tok], dates: list[tuple[int, int]]) -> None:
    """Mark dates, attach unit words, and decide which numbers are values."""
    for tok in toks:
        if any(a <= tok.start < b for a, b in dates):
            tok.kind, tok.norm, tok.role = "d", "@", "date"
    upgrade = any(t.kind == "w" and t.norm in _UPGRADE_WORDS for t in toks)
    n = len(toks)
    for i, tok in enumerate(toks):
        if tok.kind != "n" or tok.role in ("id", "version", "date"):
            continue
        prev = toks[i - 1] if i > 0 else None
        prev2 = toks[i - 2] if i > 1 else None
        nxt = toks[i + 1] if i + 1 < n else None
        after = nxt
        # A unit written as the next word: "42 minutes", "99.9 %", "3 business days".
        if not tok.dim and nxt is not None:
            j = i + 2 if nxt.norm in _UNIT_SKIP and i + 2 < n else i + 1
            unit_tok = toks[j]
            if unit_tok.norm == "%":
                tok.dim, tok.unit = "%", "%"
            elif unit_tok.kind == "w" and unit_tok.norm in _UNIT_WORDS:
                dim, factor = _UNIT_WORDS[unit_tok.norm]
                tok.dim, tok.unit = dim, unit_tok.norm
                if tok.value is not None:
                    tok.value *= factor
                after = toks[j + 1] if j + 1 < n else None
        prev_norm = prev.norm if prev is not None else ""
        next_norm = nxt.norm if nxt is not None else ""
        after_norm = after.norm if after is not None else ""
        if prev is not None and prev.kind == "w" and prev_norm in ID_WORDS and not tok.dim:
            tok.role = "id"  # "tier 1", "Python 3.12"
        elif prev_norm == "/" and prev2 is not None and prev2.kind == "n":
            tok.role = "per"  # "4.5/5": a scale
        elif text[tok.end : tok.end + 1] == "-" and text[tok.end + 1 : tok.end + 2].isalpha():
            if tok.dim != "%":
                tok.role = "id"  # "30-day retention", "3-tier": a definition
        elif prev_norm in ("per", "/"):
            tok.role = "per"  # "per 1,000 requests"
        elif prev_norm in _SCOPE_PREVS and (prev_norm == "top" or tok.dim == "time"):
            tok.role = "scope"  # "top 20", "last 30 days"
        elif prev_norm == "the" and _SUPERLATIVE_RE.match(next_norm):
            tok.role = "scope"  # "the 10 most-used APIs", "the 50 largest instances"
        elif tok.dim == "time" and after_norm == "of":
            tok.role = "scope"  # "3 years of order history"
        elif prev_norm in ("within", "in") and tok.dim == "time":
            tok.role = "window"  # a service level, or a deadline after delivery work
        elif (
            upgrade
            and not tok.dim
            and not tok.unit
            and (
                "." in tok.text
                or (
                    prev_norm in ("from", "to")
                    and (nxt is None or nxt.kind != "w" or next_norm == "to")
                )
            )
        ):
            tok.role = "version"  # "Upgrade Postgres from 11 to 15"
        elif (
            not tok.dim
            and _YEAR_RE.fullmatch(tok.text)
            and (prev_norm in ("the", "our", "this", "a") or _in(ARTEFACT_NOUNS, next_norm))
        ):
            tok.role = "id"  # "the 2026 hiring plan": a year naming a thing
        if not tok.role:
            tok.role = "value"
        if tok.role not in ("value", "window"):
            tok.norm = "§"
    # "5h 30m" is one duration.
    for a, b in zip(toks, toks[1:], strict=False):
        if (
            a.kind == b.kind == "n"
            and a.dim == b.dim == "time"
            and a.role == b.role == "value"
            and a.value is not None
            and b.value is not None
            and b.value < a.value
        ):
            a.value += b.value
            b.role, b.norm = "part", "§"


def _mark_frequencies(toks: list[_Tok]) -> None:
    """Frequency words are values where they are compared: "from weekly to daily", "up from
    monthly", "instead of monthly", "weekly → daily"."""
    for i, t in enumerate(toks):
        if t.kind != "w" or t.norm not in FREQUENCY_WORDS:
            continue
        prev = toks[i - 1].norm if i else ""
        instead = prev == "of" and i > 1 and toks[i - 2].norm == "instead"
        arrow_next = i + 1 < len(toks) and toks[i + 1].kind == "a"
        if prev in ("from", "to", "than", "->") or instead or arrow_next:
            t.value = FREQUENCY_WORDS[t.norm]
            t.kind, t.norm, t.role, t.dim = "n", "#", "value", "freq"


# --------------------------------------------------------------------------------------------
# Word classes in a stretch of tokens
# --------------------------------------------------------------------------------------------

F_METRIC, F_ARTEFACT, F_OTHERS, F_STAFF = 1, 2, 4, 8
F_PROTECTIVE, F_COMPLETION, F_MILESTONE, F_ADOPTION = 16, 32, 64, 128
F_CHANGE_NOUN, F_CHANGE_WORD = 256, 512
_PERCENTILE_RE = re.compile(r"t?p\d{2,3}")
_CHANGE_WORDS = _words("down up fewer faster cheaper quicker lower higher")


@lru_cache(maxsize=8192)
def _word_flags(w: str) -> int:
    """The lexicon classes of one word, hyphenated words through their parts too. A pure
    function of the word, memoised: the vocabulary of key results is small and repeats."""
    parts = (w, *w.split("-")) if "-" in w else (w,)
    flags = 0
    if any(_in(METRIC_NOUNS, p) or _PERCENTILE_RE.fullmatch(p) for p in parts):
        flags |= F_METRIC
    if any(_in(ARTEFACT_NOUNS, p) for p in parts):
        flags |= F_ARTEFACT
    if any(_in(OTHERS_NOUNS, p) for p in parts) and w not in ("team", "engineer", "developer"):
        flags |= F_OTHERS
    if _in(STAFF_NOUNS, w):
        flags |= F_STAFF
    for lexicon, flag in (
        (PROTECTIVE_WORDS, F_PROTECTIVE),
        (COMPLETION_WORDS, F_COMPLETION),
        (MILESTONE_WORDS, F_MILESTONE),
        (ADOPTION_WORDS, F_ADOPTION),
        (CHANGE_NOUNS, F_CHANGE_NOUN),
        (_CHANGE_WORDS, F_CHANGE_WORD),
    ):
        if w in lexicon:
            flags |= flag
    lemma = VERB_FORMS.get(w)
    if lemma is not None and lemma in CHANGE_VERBS and w != lemma:
        flags |= F_CHANGE_WORD  # "reduced", "increases": a change stated after the subject
    return flags


class _Classes:
    """Which word classes occur in a stretch of tokens: the index of the first token of each,
    or None."""

    __slots__ = (
        "metric",
        "artefact",
        "others",
        "staff",
        "protective",
        "completion",
        "milestone",
        "adoption",
        "change",
        "change_noun",
        "rate",
        "qualified_artefact",
        "value",
        "money",
    )

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, None)

    def mark(self, name: str, i: int) -> None:
        if getattr(self, name) is None:
            setattr(self, name, i)


_CONTEXT_WORDS = _words(
    "coverage availability pipeline pipelines ticket tickets pages date schedule time on-time "
    "points"
)
_QUALIFIERS = _words("with without lacking missing having have has lack")
_SALES_PIPELINE = _words("qualified sales revenue marketing opportunity partner")
_TEST_WORDS = _words("test code unit integration e2e line branch")
_COMMITTED = _words("committed agreed promised planned")


def _classes(toks: list[_Tok], lo: int, hi: int) -> _Classes:
    """Word classes in toks[lo:hi]. Context decides a few words: "test coverage" is an
    artefact, "general availability" a milestone, "sales pipeline" a metric, "tickets" are the
    team's own work only next to Jira or tech-debt words, "on the committed date" a metric."""
    c = _Classes()
    internal = any(
        t.kind == "w" and (t.norm in INTERNAL_TICKET_WORDS or "debt" in t.norm) for t in toks[lo:hi]
    )
    # "coverage of critical paths by E2E tests": the tests may sit just past the phrase.
    tested = any(t.norm in ("test", "tests", "e2e", "testing") for t in toks[lo : hi + 6])
    for i in range(lo, hi):
        t = toks[i]
        if t.kind == "n":
            if t.role == "value":
                c.mark("value", i)
                if t.dim == "money":
                    c.mark("money", i)
            continue
        if t.kind != "w":
            if t.norm == "/" and i + 1 < hi and toks[i + 1].norm in _RATE_UNITS:
                c.mark("rate", i)  # "12/month", "deploys/day"
            continue
        w = t.norm
        prev = toks[i - 1].norm if i > lo else ""
        if prev == "per" or (prev == "a" and w in ("day", "week", "month")) or w == "each":
            if prev:
                c.mark("rate", i)
            if prev == "per":
                continue  # "per engineer" is a denominator, not a subject
        flags = _word_flags(w)
        metric, artefact = bool(flags & F_METRIC), bool(flags & F_ARTEFACT)
        milestone = bool(flags & F_MILESTONE)
        if w in _CONTEXT_WORDS:
            if w == "coverage" and (tested or prev in _TEST_WORDS):
                artefact = True
            elif w == "availability" and prev == "general":
                metric, milestone = False, True
            elif w in ("pipeline", "pipelines") and prev in _SALES_PIPELINE:
                metric, artefact = True, False
            elif w in ("ticket", "tickets"):
                metric, artefact = not internal, internal
            elif w == "pages" or (w == "date" and prev in _COMMITTED):
                metric = True  # pages as in paging; delivered "on the committed date"
            elif (w == "schedule" or w in ("time", "on-time")) and prev == "on":
                metric = True
            elif w == "points":
                artefact = prev == "story"
        if metric:
            c.mark("metric", i)
        if artefact:
            c.mark("artefact", i)
        if milestone or (w == "complete" and prev == "feature"):
            c.mark("milestone", i)
        if flags & F_OTHERS:
            # "lead time" is a metric, not sales leads.
            nxt = toks[i + 1].norm if i + 1 < hi else ""
            if not (w in ("lead", "leads") and nxt in ("time", "times")):
                c.mark("others", i)
        if flags & F_STAFF:
            c.mark("staff", i)
        if flags & F_PROTECTIVE:
            c.mark("protective", i)
        if (
            flags & F_COMPLETION
            or (w in ("production", "place") and prev == "in")
            or (w == "off" and prev in ("signed", "sign"))
            or (w == "out" and prev == "rolled")
        ):
            c.mark("completion", i)
        if flags & F_ADOPTION:
            c.mark("adoption", i)
        if flags & F_CHANGE_NOUN:
            c.mark("change_noun", i)
        if flags & F_CHANGE_WORD:
            c.mark("change", i)
        if w in _QUALIFIERS and c.qualified_artefact is None and prev not in MILESTONE_WORDS:
            # "services with an assigned owner", "incidents without a postmortem": coverage by
            # an artefact the team produces. A protection word ends the look-ahead.
            for j in range(i + 1, min(hi, i + 5)):
                tj = toks[j]
                if tj.kind != "w":
                    continue
                if tj.norm in PROTECTIVE_WORDS:
                    break
                if _word_flags(tj.norm) & F_ARTEFACT:
                    c.qualified_artefact = i
                    break
    return c


# --------------------------------------------------------------------------------------------
# The leading verb and its object
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Lead:
    index: int  # token index of the verb
    end: int  # token index after the verb and its particle
    lemma: str
    cls: str  # "delivery", "change", "hold" or "acquire"


_TEAM_TO = _words("team squad we i aim plan goal")
_BOUNDARY = _words(
    "from to by under below above within into onto via across while so until before after than "
    "vs versus instead thereby through because during"
)
_NP_END = _words(
    "of for to with on onto in into at by from across via behind over under that who which and "
    "so while within than per"
)


def _find_lead(toks: list[_Tok]) -> _Lead | None:
    """The leading verb, after fillers ("We will", "Team X to"), typo-corrected; None when the
    statement does not start with a verb."""
    n = len(toks)
    first = 0
    while first < n and toks[first].kind == "s":
        first += 1
    # "The platform team will migrate ...", "Payments squad to launch ...".
    for k in range(first, min(n, first + 6)):
        after = toks[k + 1].norm if k + 1 < n else ""
        helper = toks[k].norm in ("will", "shall", "'ll") or (
            toks[k].norm == "to" and k > first and toks[k - 1].norm in _TEAM_TO
        )
        if helper and VERB_FORMS.get(after) == after:
            first = k + 1
            break
    while (
        first < n
        and toks[first].kind == "w"
        and toks[first].norm in FILLER_LEADS
        and toks[first].norm not in VERB_FORMS
    ):
        first += 1
    if first >= n or toks[first].kind != "w":
        return None
    tok = toks[first]
    lemma = VERB_FORMS.get(tok.norm)
    if lemma is None:
        corrected = _correct_verb(tok.norm)
        if corrected is None:
            return None
        tok.norm, lemma = corrected, VERB_FORMS[corrected]
    form = tok.norm
    nxt = toks[first + 1] if first + 1 < n and toks[first + 1].kind == "w" else None
    # A plural ("Deploys/day ≥ 10") or a noun compound ("Support tickets down 40%", "Lead time
    # under 1 day", "Onboarding NPS +45") is a subject, not a command.
    if form != lemma and form.endswith("s") and form not in IRREGULAR:
        return None
    if nxt is not None and (
        (form.endswith("ing") and _in(METRIC_NOUNS, nxt.norm))
        or (
            lemma in NOUN_VERBS
            and (_in(METRIC_NOUNS, nxt.norm) or nxt.norm in NOUNS_AFTER_NOUN_VERB)
        )
    ):
        return None
    cls, end = _verb_class(lemma), first + 1
    if nxt is not None and nxt.norm in PARTICLES:
        cls = PHRASAL_CLASS.get((lemma, nxt.norm), cls)
        end += 1
    return _Lead(first, end, lemma, cls)


def _object_end(toks: list[_Tok], start: int) -> int:
    """Where a verb's object phrase stops: at a boundary preposition, a comparator, a date or
    punctuation. A leading preposition belongs to the verb ("Migrate to X", "Launch in
    Germany"); an agent belongs to the phrase ("demos booked by prospects")."""
    n = len(toks)
    i = start
    if (
        i < n
        and toks[i].kind == "w"
        and toks[i].norm in ("to", "from", "onto", "off", "in", "into")
    ):
        i += 1
    # "Write and publish X", "Profile and optimise X": the object follows the second verb.
    if i + 1 < n and toks[i].norm in ("and", "&", ",") and toks[i + 1].norm in VERB_FORMS:
        i += 2
    limit = min(n, i + 12)
    while i < limit:
        t = toks[i]
        if t.kind in ("c", "a", "d") or (t.kind == "s" and t.norm in (",", ";", "(", ":", ")")):
            break
        if t.kind == "w" and t.norm in _BOUNDARY:
            j = i + 1
            while j < n and toks[j].norm in STOPWORDS:
                j += 1
            agent = (
                t.norm == "by"
                and j < n
                and toks[j].kind == "w"
                and _word_flags(toks[j].norm) & (F_OTHERS | F_STAFF)
            )
            if not agent:
                break
        i += 1
    return i


def _head(toks: list[_Tok], start: int) -> int | None:
    """The head noun of an object: the last word of its first noun phrase, after a leading
    "95% of" or "25 of 40". "Sign 12 new design partners" -> partners; "Add end-to-end tests
    for signup" -> tests; "Make 50% of the test suite run in parallel" -> suite."""
    n = len(toks)
    i = start
    while i < n and (toks[i].kind in ("n", "s") or toks[i].norm in STOPWORDS - {"of"}):
        i += 1
    if i < n and toks[i].norm == "of":
        return _head(toks, i + 1)
    head = None
    while i < n and toks[i].kind == "w" and toks[i].norm not in _NP_END:
        w = toks[i].norm
        # A bare verb after the noun ends the phrase: "the test suite run in parallel".
        if (
            head is not None
            and VERB_FORMS.get(w) == w
            and not _word_flags(w) & (F_ARTEFACT | F_METRIC | F_OTHERS)
        ):
            break
        head = i
        i += 1
    return head


def _has_share(toks: list[_Tok], start: int) -> bool:
    """The verb applies to a share of a population: "Resolve 90% of P2 tickets"."""
    for i in range(start, min(len(toks) - 1, start + 6)):
        if toks[i].kind == "n" and toks[i].dim == "%" and toks[i + 1].norm == "of":
            return True
    return False


def _outside_parens(toks: list[_Tok]) -> list[_Tok]:
    """Tokens outside parentheses: asides define terms ("(first project created within 7
    days)") and must not decide the kind."""
    out: list[_Tok] = []
    depth = 0
    for t in toks:
        if t.kind == "s" and t.norm == "(":
            depth += 1
        elif t.kind == "s" and t.norm == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(t)
    return out


# --------------------------------------------------------------------------------------------
# Output or outcome (module docstring, step 4)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Decision:
    kind: str
    rule: str  # which rule decided: for tests and debugging
    quote: tuple[int, int]  # token range [lo, hi) of the words that decided


_FREQ_PHRASE_RE = re.compile(
    r"\b(?:every (?:day|week|weekday|month|sprint|night|hour|merge|commit)|[#§] ?times? "
    r"(?:a|per|each) (?:day|week|month|hour)|per (?:day|week|hour)|a day|on demand|on-demand|"
    r"hourly|daily|nightly|weekly|fortnightly|biweekly|monthly|[#§] / (?:day|week|hour))\b"
)
_MOVE_RE = re.compile(r"\bfrom (?:\S+ ){0,4}?# .*\bto\b")
_CONNECTORS = _words("to and & so that then thereby , ; while")


def _decide(toks: list[_Tok], lead: _Lead | None, norm: str, *, numbers_given: bool) -> _Decision:
    if lead is not None:
        obj_end = _object_end(toks, lead.end)
        decision = _decide_led(
            toks,
            lead,
            obj=_classes(toks, lead.end, obj_end),
            whole=_classes(toks, lead.end, len(toks)),
            norm=norm,
            quote=(lead.index, max(lead.end, obj_end)),
        )
    else:
        decision = _decide_verbless(toks)
        if decision.rule == "names-a-thing" and numbers_given:
            # "Payment queue depth" with a baseline and target in the form: the statement
            # names the metric, it is not a deliverable.
            return _Decision(OUTCOME, "names-the-metric", decision.quote)
    if decision.kind == OUTPUT:
        clause = _measured_clause(toks, lead.end if lead is not None else 0)
        if clause is not None:
            return _Decision(OUTCOME, "measured-clause", clause)
    return decision


def _measured_clause(toks: list[_Tok], start: int) -> tuple[int, int] | None:
    """Rule a: a clause after the work that states a measured change. Its token range, or
    None."""
    n = len(toks)
    for i in range(start, n - 1):
        t, nxt = toks[i], toks[i + 1]
        if t.norm in ("so", "such") and nxt.norm == "that":
            # "... so that candidate NPS > 50": a condition on a metric.
            c = _classes(toks, i + 2, n)
            if c.value is not None and (c.metric is not None or c.others is not None):
                return i, n
            continue
        if t.norm == "with" and nxt.kind == "n" and nxt.role == "value":
            # "... with 10 partners onboarded": others adopting, counted.
            c = _classes(toks, i + 1, min(n, i + 6))
            if c.others is not None and (c.adoption is not None or c.completion is not None):
                return i, min(n, i + 6)
            continue
        lemma = VERB_FORMS.get(t.norm)
        takes_object = (
            nxt.kind == "n"
            or nxt.norm in STOPWORDS
            or bool(_word_flags(nxt.norm) & (F_METRIC | F_OTHERS))
        )
        if (
            i > start
            and t.norm.endswith("ing")
            and lemma
            and _verb_class(lemma) != "delivery"
            and takes_object
        ):
            # "a referral programme generating 500 signups"; not "the onboarding checklist",
            # where the gerund names a kind of thing.
            c = _classes(toks, i + 1, n)
            if c.value is not None and (c.metric is not None or c.others is not None):
                return i, n
        if t.norm == ":":
            # "...: 2,000 subscribers".
            c = _classes(toks, i + 1, min(n, i + 6))
            if c.value is not None and (c.others is not None or c.metric is not None):
                return i + 1, min(n, i + 6)
            continue
        if t.norm not in _CONNECTORS:
            continue
        # "... to cut failed logins from 1.1% to 0.3%", "... and reach 200 accounts".
        lemma = VERB_FORMS.get(nxt.norm)
        if lemma is None or _verb_class(lemma) == "delivery":
            continue
        c = _classes(toks, i + 2, n)
        if c.value is not None and (c.metric is not None or c.others is not None):
            return i + 1, n
    return None


def _decide_led(
    toks: list[_Tok],
    lead: _Lead,
    *,
    obj: _Classes,
    whole: _Classes,
    norm: str,
    quote: tuple[int, int],
) -> _Decision:
    """Rules b to e, for a statement that starts with a verb. ``obj`` holds the classes of the
    verb's object phrase, ``whole`` those of everything after the verb."""
    lemma, cls = lead.lemma, lead.cls
    has_value = whole.value is not None
    within = any(t.kind == "n" and t.role == "window" for t in toks)
    share = _has_share(toks, lead.end)

    def output(rule: str) -> _Decision:
        return _Decision(OUTPUT, rule, quote)

    def outcome(rule: str) -> _Decision:
        return _Decision(OUTCOME, rule, quote)

    if cls == "delivery":
        if lemma in FREQ_VERBS and _FREQ_PHRASE_RE.search(norm):
            return outcome("at-a-frequency")  # "Deploy at least 5 times a day"
        if (
            lemma in CAPACITY_VERBS
            and has_value
            and (whole.rate is not None or whole.metric is not None)
            and whole.staff is None
        ):
            return outcome("capacity")  # "Support 10k concurrent connections per node"
        if lemma in ("deliver", "provide", "offer") and obj.metric is not None and has_value:
            return outcome("service-level")  # "Deliver 99.95% availability"
        if lemma in SLA_VERBS and (within or (share and obj.artefact is None)):
            return outcome("service-level")  # "Resolve 90% of P2 tickets within 3 days"
        if (
            lemma in OPTIMISE_VERBS
            and obj.metric is not None
            and has_value
            and obj.artefact is None
        ):
            return outcome("optimise-metric")
        if (
            lemma in MOVE_VERBS
            and (obj.metric is not None or whole.rate is not None)
            and _MOVE_RE.search(norm)
        ):
            return outcome("move-metric")  # "Go from 3 to 10 deploys a day"
        if lemma == "hold" and obj.metric is not None and has_value:
            return outcome("hold-level")  # "Hold availability at 99.9%"
        if (
            lemma in ("expand", "scale")
            and (obj.metric is not None or obj.money is not None)
            and obj.staff is None
        ):
            return outcome("expand-metric")  # "Expand revenue from existing accounts"
        return output("delivery-verb")
    if cls == "change":
        if lemma in TIME_VERBS:
            return outcome("time-verb")
        if (
            lemma in ("grow", "expand", "scale")
            and obj.staff is not None
            and obj.others is None
            and obj.metric is None
        ):
            return output("headcount")  # "Grow the data team to 8 people"
        if obj.metric is not None or whole.money is not None:
            if obj.qualified_artefact is not None and obj.protective is None:
                return output("artefact-coverage")  # "incidents without a postmortem"
            return outcome("change-metric")
        if obj.qualified_artefact is not None and obj.protective is None and obj.adoption is None:
            return output("artefact-coverage")  # "teams with a documented runbook"
        if obj.completion is not None and obj.others is None and obj.protective is None:
            return output("completion-share")  # "% of deploys that are fully automated"
        if obj.others is not None:
            return outcome("change-others")
        if obj.artefact is not None:
            if obj.protective is not None:
                return outcome("change-protection")
            return output("change-artefact")  # "Cut the release checklist from 14 items to 6"
        return outcome("change-verb")
    if cls == "acquire":
        if lemma == "renew":
            return outcome("renewal")
        if lemma in SLA_VERBS and within:
            return outcome("service-level")
        head = _head(toks, lead.end)
        head_norm = toks[head].norm if head is not None else ""
        if (lemma in STAFF_VERBS or lemma in ("add", "get")) and (
            (_in(STAFF_NOUNS, head_norm) and head_norm != "teams")
            or head_norm in ("engineers", "developers")
        ):
            return output("staff")  # "Onboard 3 new engineers"
        made_by_others = any(
            t.kind == "w" and _word_flags(t.norm) & F_OTHERS
            for t in toks[lead.end : head if head is not None else lead.end]
        )
        if (
            head is not None
            and _word_flags(head_norm) & F_ARTEFACT
            and not _word_flags(head_norm) & F_OTHERS
            and not made_by_others
        ):
            return output("acquire-artefact")  # "Add end-to-end tests for signup"
        if obj.others is not None or obj.money is not None:
            return outcome("acquire-others")  # "Sign 12 new design partners"
        if lemma in ("close", "resolve") and share and obj.artefact is None:
            return outcome("service-level")
        if lemma == "get":
            if (obj.artefact is not None or obj.milestone is not None) and obj.metric is None:
                return output("get-artefact")  # "Get the SOC 2 report signed off"
            return outcome("get-level")  # "Get median review turnaround under 6 hours"
        if lemma in ("generate", "attract", "retain", "gain", "earn") and obj.metric is not None:
            return outcome("acquire-metric")
        return output("acquire-artefact")
    # cls == "hold"
    if obj.change_noun is not None:
        # "Achieve a 25% increase in qualified pipeline": a change, read as one.
        after = obj.change_noun + 1
        rest = _classes(toks, after, _object_end(toks, after))
        if (
            rest.artefact is not None
            and rest.metric is None
            and rest.others is None
            and rest.money is None
        ):
            return output("change-artefact")
        return outcome("change-metric")
    if obj.milestone is not None and obj.value is None:
        return output("milestone")  # "Achieve feature parity", "Reach GA"
    if (
        (share or lemma == "have")
        and obj.completion is not None
        and obj.protective is None
        and obj.others is None
    ):
        return output("completion-share")  # "Achieve 100% of laptops enrolled"
    head = _head(toks, lead.end)
    head_is_artefact = head is not None and (
        bool(_word_flags(toks[head].norm) & F_ARTEFACT)
        or (toks[head].norm == "coverage" and obj.artefact is not None)
    )
    if (
        (head_is_artefact or obj.qualified_artefact is not None)
        and obj.metric is None
        and obj.others is None
        and obj.protective is None
    ):
        return output("artefact-level")  # "Achieve 90% code coverage on new code"
    return outcome("hold-level")


_SCORE_COMPARISON = _words("under below above least most than from")


def _completion_at(visible: list[_Tok]) -> int | None:
    """The first word that says the work is done ("done", "live", "released", "in
    production"), skipping participles used as adjectives before a noun ("automated backups",
    "signed images"): those describe a thing, they do not report work finished."""
    for i, t in enumerate(visible):
        if t.kind != "w":
            continue
        prev = visible[i - 1].norm if i else ""
        if (t.norm in ("production", "place") and prev == "in") or (
            t.norm == "off" and prev in ("signed", "sign")
        ):
            return i
        if not _word_flags(t.norm) & F_COMPLETION:
            continue
        nxt = visible[i + 1] if i + 1 < len(visible) else None
        adjective = (
            nxt is not None
            and nxt.kind == "w"
            and nxt.norm not in STOPWORDS
            and nxt.norm not in _BOUNDARY
            and nxt.norm not in _NP_END
            and VERB_FORMS.get(nxt.norm) != nxt.norm
        )
        if not adjective:
            return i
    return None


def _decide_verbless(toks: list[_Tok]) -> _Decision:
    """Rule f: statements that do not start with a verb, scored."""
    visible = _outside_parens(toks)
    c = _classes(visible, 0, len(visible))
    compared = any(t.kind in ("c", "a") for t in visible) or any(
        t.kind == "w" and t.norm in _SCORE_COMPARISON for t in visible
    )
    output = outcome = 0
    if c.metric is not None:
        outcome += 2
    if c.others is not None and (c.adoption is not None or c.value is not None):
        outcome += 3 if c.adoption is not None else 2
    if c.value is not None and compared and not (c.artefact is not None and c.metric is None):
        outcome += 1
    if c.rate is not None:
        outcome += 1
    if c.protective is not None:
        outcome += 3
    if c.change is not None:
        outcome += 2
    completion = _completion_at(visible)
    if completion is not None and not (
        c.others is not None and visible[completion].norm in ADOPTION_WORDS
    ):
        output += 3
    if c.artefact is not None and c.metric is None:
        output += 2
    if c.milestone is not None:
        output += 2
    if c.qualified_artefact is not None and c.protective is None:
        output += 2
    # The first verb after the subject: "Payments team ships v2", "Every engineer attends".
    verb_at = None
    for i in range(1, len(visible)):
        w = visible[i].norm
        lemma = VERB_FORMS.get(w)
        if lemma is None or _word_flags(w) & (F_METRIC | F_ARTEFACT):
            continue
        if (_word_flags(w) & F_COMPLETION and w != lemma) or visible[i - 1].norm in ("by", "with"):
            # A participle already scored as completion ("tagged", "released"), or a modifier
            # ("covered by automated backups"). A present-tense verb still counts: "80% of
            # engineers complete the course".
            continue
        if i + 1 < len(visible) and _word_flags(visible[i + 1].norm) & F_METRIC:
            continue  # a noun modifier: "Flaky test rate"
        verb_class = _verb_class(lemma)
        if verb_class == "delivery" and w not in ADOPTION_WORDS:
            output += 3
            verb_at = i
        elif verb_class == "change":
            outcome += 2
        break
    whole = (0, len(toks))
    if output == outcome == 0 and c.value is None:
        return _Decision(OUTPUT, "names-a-thing", whole)  # "Kubernetes"
    if output <= outcome:
        return _Decision(OUTCOME, "subject-metric", whole)
    anchor = completion if completion is not None else verb_at
    if anchor is None:
        return _Decision(OUTPUT, "subject-artefact", whole)
    # Quote from the start up to the completion word: "Kafka migration done".
    return _Decision(OUTPUT, "subject-completion", (0, toks.index(visible[anchor]) + 1))


# --------------------------------------------------------------------------------------------
# Baseline and target (module docstring, step 3)
# --------------------------------------------------------------------------------------------

_NOT_NUM = r"[^\s#]+"
_BASELINE_RES = [
    # from 42 minutes, from a median of 45 days, up from 99.5%, down from monthly
    re.compile(r"\bfrom (?:(?!to |by |into |onto |->)" + _NOT_NUM + r" ){0,5}?(?P<b>#)"),
    # 4h -> 1h, 120 → 200
    re.compile(r"(?P<b>#)(?: (?!#|to\b)" + _NOT_NUM + r"){0,3} ->"),
    # currently 28%, today: 24 min, baseline: 40%, was 18, vs 3.1%, instead of monthly
    re.compile(
        r"\b(?:currently|current|today|today's|now|presently|was|were|baseline|base|"
        r"starting|instead of|vs\.?|versus|compared (?:to|with)|relative to|against)"
        r"(?: [:=(])?(?: (?:at|is|of|level|value|about|around|approx|approximately|roughly|a|an|"
        r"the|median|mean|average|avg|~|p\d+|only|just|over|under|below|above|<|>|<=|>=)){0,3} "
        r"(?P<b>#)"
    ),
    # vs Q3 ($240k), compared with last quarter (31)
    re.compile(
        r"\b(?:vs\.?|versus|compared (?:to|with)|against) (?:@ )+(?:\( )?(?:[:=] )?(?P<b>#)"
    ),
    # (Q2: 2.3s), (Q2 2.3s)
    re.compile(r"(?:^|[(,;]) ?(?:@ ){1,3}[:=]? ?(?P<b>#)"),
    # 45s today, 2.5 days today, (5 last quarter), (99.4% in Q1)
    re.compile(r"(?P<b>#)(?: [a-z%.]+){0,2} (?:today|now|currently|at present)\b"),
    re.compile(r"\( ?(?P<b>#)(?: [^\s#()]+){0,4} (?:in |during |for )?@"),
    # MTTR 4h to 1h, NPS 32 to 45: a number, then "to" another; not "by 20% to 60%"
    re.compile(
        r"(?<!\bby )(?<!\bto )(?<!\bunder )(?<!\bbelow )(?<!\babove )(?<!< )(?<!> )(?<!= )"
        r"(?P<b>#)(?: (?!#|to\b|of\b)" + _NOT_NUM + r"){0,2} to (?:(?:under|below|above|over|"
        r"about|around|~|<|>|<=|>=|less than|more than|at least|at most) ){0,2}#"
    ),
]
_RELATIVE_TARGET_RE = re.compile(
    r"\b(?:double[sd]?|doubling|halve[sd]?|halving|triple[sd]?|tripling|quadruple[sd]?|"
    r"eliminate[sd]?|eliminating|in half|by half|by a (?:third|quarter|half|fifth)|"
    r"single[- ]digits?|none)\b"
)
_RELATIVE_LEADS = _words("double halve triple quadruple eliminate")
# What introduces the value to reach, for picking the target number to compare.
_TARGET_INTRO = _words("to under below above over least most than of at reach hit achieve about")


@dataclass(frozen=True, slots=True)
class _Presence:
    baselines: list[int]  # token indexes of baseline values, in order
    targets: list[int]  # token indexes of values to reach, in order
    relative_target: bool  # "2x", "halve", "by a third", "eliminate", "ship weekly"


def _presence(toks: list[_Tok], lead: _Lead | None, norm: str) -> _Presence:
    starts: list[int] = []
    pos = 0
    for t in toks:
        starts.append(pos)
        pos += len(t.norm) + 1
    baselines: list[int] = []
    for pattern in _BASELINE_RES:
        for m in pattern.finditer(norm):
            i = bisect_right(starts, m.start("b")) - 1
            if toks[i].role == "value" and i not in baselines:
                baselines.append(i)
    baselines.sort()
    # A time window after plain delivery work is a deadline, not a target.
    deadline = lead is not None and lead.cls == "delivery" and lead.lemma not in SLA_VERBS
    targets = [
        i
        for i, t in enumerate(toks)
        if t.kind == "n"
        and i not in baselines
        and (t.role == "value" or (t.role == "window" and not deadline))
    ]
    relative = bool(_RELATIVE_TARGET_RE.search(norm)) or (
        lead is not None and lead.lemma in _RELATIVE_LEADS
    )
    if lead is not None and lead.lemma in FREQ_VERBS and _FREQ_PHRASE_RE.search(norm):
        relative = True  # "Ship weekly": the cadence is the target
    return _Presence(baselines, targets, relative)


def _target_token(toks: list[_Tok], targets: list[int]) -> _Tok | None:
    """The absolute value to reach, for the direction check: the first value introduced as
    one ("to 15", "under 250 ms", "≥ 99.9%"), else the first. None for relative targets ("by
    30%", "2x"), which have no absolute value to compare."""
    if not targets:
        return None
    introduced = [
        i
        for i in targets
        if i > 0 and (toks[i - 1].norm in _TARGET_INTRO or toks[i - 1].kind in ("c", "a"))
    ]
    pick = introduced[0] if introduced else targets[0]
    if (pick > 0 and toks[pick - 1].norm == "by") or toks[pick].dim == "x":
        return None
    return toks[pick]


# --------------------------------------------------------------------------------------------
# Direction and values (module docstring, step 6)
# --------------------------------------------------------------------------------------------

_BELOW_RE = re.compile(
    r"(?:\bunder\b|\bbelow\b|<|\bat most\b|\bno more than\b|\bless than\b|\bfewer than\b)"
)
_ABOVE_RE = re.compile(r"(?:\babove\b|>|\bat least\b|\bmore than\b|\bor (?:more|higher)\b)")


def _infer_direction(toks: list[_Tok], lead: _Lead | None, norm: str) -> str | None:
    """The sense the words ask for; None when they do not say. A wrong guess would raise a
    false alarm, so neutral verbs (improve, bring, get) take the metric's polarity only when
    every metric word in the statement agrees."""
    if re.search(r"\bdown from\b", norm):
        return "decrease"
    if re.search(r"\bup from\b", norm):
        return "increase"
    if lead is not None:
        if lead.lemma in HOLDING_ONLY:
            return "stay_below" if _BELOW_RE.search(norm) else "stay_above"
        if lead.lemma in DECREASE_VERBS or re.match(r"(?:bring|drive|push) down\b", norm):
            return "decrease"
        if lead.lemma in INCREASE_VERBS or re.match(r"(?:drive|ramp|bring) up\b", norm):
            return "increase"
    if _BELOW_RE.search(norm):
        return "decrease"
    if _ABOVE_RE.search(norm):
        return "increase"
    lower = higher = False
    for t in toks:
        if t.kind == "w":
            w = _singular(t.norm)
            lower = lower or w in LOWER_IS_BETTER or bool(_PERCENTILE_RE.fullmatch(w))
            higher = higher or w in HIGHER_IS_BETTER
    if lower != higher:
        return "decrease" if lower else "increase"
    return None


def _as_float(value: Number | str | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# A value for the direction check: (value in base units, dimension, factor of its unit).
_Measure = tuple[float | None, str, float]
_NO_MEASURE: _Measure = (None, "", 1.0)


def _structured(value: float | None, unit: str) -> _Measure:
    """A structured value in the text's base units."""
    if value is None:
        return _NO_MEASURE
    low = unit.strip().lower()
    if low in TIME_UNITS:
        return value * TIME_UNITS[low], "time", TIME_UNITS[low]
    if low in SIZE_UNITS:
        return value * SIZE_UNITS[low], "bytes", SIZE_UNITS[low]
    return value, "%" if low in ("%", "percent") else "", 1.0


def _from_text(tok: _Tok | None) -> _Measure:
    if tok is None or tok.value is None:
        return _NO_MEASURE
    unit = tok.unit.lower()
    factor = TIME_UNITS.get(unit, 1.0) if tok.dim == "time" else SIZE_UNITS.get(unit, 1.0)
    return tok.value, tok.dim, factor


def _comparable(base: _Measure, targ: _Measure) -> tuple[float, float] | None:
    """Baseline and target on one scale, or None when they cannot be compared. A bare number
    takes the other's unit: "from 42 minutes to under 15"."""
    (b, b_dim, b_factor), (t, t_dim, t_factor) = base, targ
    if b is None or t is None:
        return None
    if b_dim and t_dim and b_dim != t_dim:
        return None
    if b_dim in ("time", "bytes") and not t_dim:
        t *= b_factor
    elif t_dim in ("time", "bytes") and not b_dim:
        b *= t_factor
    return b, t


def _fmt(value: float) -> str:
    return f"{value:,.4f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------------------------
# Suggestion for outputs (module docstring, step 7)
# --------------------------------------------------------------------------------------------


def _area(metric: str) -> str:
    """A domain's area, from its metric's wording: lets a migration skip product areas."""
    for word, area in (
        ("checkout", "checkout"),
        ("billing", "billing"),
        ("searches", "search"),
        ("app", "mobile"),
        ("calling", "api"),
        ("analysts", "data"),
        ("support tickets per", "support"),
        ("task completion", "design"),
        ("new markets", "markets"),
        ("opportunities", "sales"),
        ("agreed date", "planning"),
    ):
        if word in metric:
            return area
    return "technical"


# (pattern over the statement, metric to measure, verb), first match wins, specific ones
# first. "{for_system}" becomes " for the <topic>" when the topic is a running system ("the
# authentication service") and nothing when it is the deliverable itself ("a chaos testing
# framework"); "{topic}" is "the <topic>".
_DOMAINS: list[tuple[str, re.Pattern[str], str, str]] = [
    (_area(metric), re.compile(pattern), metric, verb)
    for pattern, metric, verb in [
        # First: what a dashboard or report changes is who has to ask, whatever it is about
        # (a "payment status dashboard" is not about checkout conversion).
        (
            r"\b(?:dashboards?|status pages?|reports?|reporting)\b",
            "support tickets and questions about what it shows",
            "Reduce",
        ),
        (
            r"\b(?:mfa|2fa|phishing|access keys?|credentials?|admin access)\b",
            "account-takeover and credential-misuse incidents per quarter",
            "Reduce",
        ),
        (
            r"\b(?:auth\w*|log-?ins?|sign-?in|sso|oauth|idp|saml|passwords?)\b",
            "login failure rate{for_system}",
            "Reduce",
        ),
        (
            r"\b(?:onboarding (?:wizard|flow|checklist)|sign-?ups?|activation|trials?)\b",
            "share of new sign-ups who reach activation",
            "Increase",
        ),
        (
            r"\b(?:new hires?|new engineers?|onboarding|curriculum)\b",
            "time for a new engineer to ship a first change to production",
            "Reduce",
        ),
        (r"\b(?:career|ladder|promotions?)\b", "regretted attrition", "Reduce"),
        (r"\b(?:on-?call|alert\w*|paging|pagerduty|pager)\b", "pages per on-call week", "Reduce"),
        (
            r"\b(?:monitor\w*|observab\w*|tracing|telemetry|opentelemetry|logging|logs?|"
            r"synthetic)\b",
            "mean time to detect customer-facing incidents",
            "Reduce",
        ),
        (
            r"\b(?:runbooks?|postmortems?|incidents?|game days?|chaos|failover|disaster|dr|"
            r"circuit breakers?|health checks?|slos?|reliability|backups?)\b",
            "mean time to restore service{for_system}",
            "Reduce",
        ),
        (r"\bflak\w*", "share of CI runs that fail on a flaky test", "Reduce"),
        (
            r"\b(?:tests?|testing|coverage|e2e|end-to-end|qa)\b",
            "defects that reach production per release",
            "Reduce",
        ),
        (
            r"\b(?:ci|builds?|pipelines?|jenkins|github actions|bazel|runners?)\b",
            "p95 CI pipeline duration",
            "Reduce",
        ),
        (r"\b(?:canary|blue-green|feature flags?|rollbacks?)\b", "change failure rate", "Reduce"),
        (
            r"\b(?:kafka|streaming|event bus|consumers?|messag\w*|queues?)\b",
            "p95 end-to-end event delivery lag",
            "Reduce",
        ),
        (
            r"\b(?:deploy\w*|releases?|release notes|argo|cd|gateway|prs?|pull requests|"
            r"merg\w*)\b",
            "lead time from merge to production",
            "Reduce",
        ),
        (r"\bencrypt\w*", "share of sensitive data stored unencrypted", "Reduce"),
        (
            r"\b(?:soc ?2|iso|pci|audits?|compliance|questionnaires?|access reviews?|"
            r"certification)\b",
            "days to complete a customer security review",
            "Reduce",
        ),
        (
            r"\b(?:secur\w*|vulnerab\w*|cves?|patch\w*|pen\w* tests?|sast|dependabot|threat|"
            r"waf|secrets?|log4j|openssl|harden\w*|rate limit\w*)\b",
            "median age of open critical vulnerabilities",
            "Reduce",
        ),
        (
            r"\b(?:deprecat\w*|decommission\w*|sunset\w*|retir\w*|remov\w*|shut down)\b",
            "monthly running cost and maintenance hours of {topic}",
            "Reduce",
        ),
        (
            r"\b(?:costs?|spend|reserved|spot|autoscal\w*|rightsiz\w*|idle|contracts?|vendors?|"
            r"finops|budget|datadog)\b",
            "monthly cloud spend{for_system}",
            "Reduce",
        ),
        (
            r"\b(?:scheduler|cron|batch|airflow|jobs?|etl)\b",
            "failed or late runs of {topic} per week",
            "Reduce",
        ),
        (
            r"\b(?:databases?|db|postgres\w*|mysql|aurora|mongo\w*|queries|query|index\w*)\b",
            "p95 query latency{for_system}",
            "Reduce",
        ),
        (
            r"\b(?:cdn|cach\w*|performance|optimi\w*|server-side rendering|ssr|profil\w*|"
            r"rendering|edge|http/?[23])\b",
            "p95 page load time{for_system}",
            "Reduce",
        ),
        (
            r"\b(?:hir\w*|recruit\w*|candidates?|interviews?|headcount|roles?|sourc\w*)\b",
            "median days from opening a role to an accepted offer",
            "Reduce",
        ),
        (
            r"\b(?:train\w*|workshops?|courses?|lunch-and-learns?|brown-bags?|sessions?|"
            r"office hours|certif\w*|mentor\w*)\b",
            "repeat mistakes of the kind {topic} covers, found in review or production per month",
            "Reduce",
        ),
        (
            r"\b(?:docs?|documentation|guides?|help[- ]cent\w*|articles?|readmes?|tutorials?|"
            r"quickstart|reference|adrs?|wiki|faq)\b",
            "support questions about {topic} per month",
            "Reduce",
        ),
        (
            r"\b(?:checkout|payments?|apple pay|3ds2?|pricing)\b",
            "checkout conversion rate",
            "Increase",
        ),
        (
            r"\b(?:billing|invoic\w*|tax)\b",
            "billing-related support tickets per 1,000 customers",
            "Reduce",
        ),
        (
            r"\b(?:search|ranking|recommend\w*)\b",
            "share of searches that end in a click",
            "Increase",
        ),
        (
            r"\b(?:mobile|android|ios|offline|dark mode)\b",
            "weekly active users of the app",
            "Increase",
        ),
        (
            r"\b(?:apis?|sdks?|endpoints?|partners?|integrat\w*|webhooks?|stripe)\b",
            "customers calling {topic} each week",
            "Increase",
        ),
        (
            r"\b(?:data|dashboards?|dbt|catalog\w*|lineage|warehouse|looker|schemas?|ingestion|"
            r"analytics|backfill)\b",
            "data issues reported by analysts per month",
            "Reduce",
        ),
        (
            r"\b(?:jira|tech debt|story points|sprints?)\b",
            "lead time for changes{for_system}",
            "Reduce",
        ),
        (
            r"\b(?:support|chatbot|tickets?|macros?|refunds?|triage)\b",
            "support tickets per 1,000 customers",
            "Reduce",
        ),
        (
            r"\b(?:kubernetes|k8s|eks|clusters?|terraform|ansible|infrastructure|infra|"
            r"containers?|vms?|data cent\w*|mesh|aws|gcp|azure|cloud|gitops)\b",
            "time to ship a change to production",
            "Reduce",
        ),
        (
            r"\b(?:refactor\w*|rewrit\w*|tech debt|debt|legacy|monolith|modules?|librar\w*|"
            r"upgrad\w*|python|java|react|node)\b",
            "lead time for changes{for_system}",
            "Reduce",
        ),
        (
            r"\b(?:rfcs?|architecture|review board|raci)\b",
            "cross-team changes that break another team, per quarter",
            "Reduce",
        ),
        (
            r"\b(?:planning|roadmap|retros?|retrospectives?|process|meetings?|approval)\b",
            "share of committed work delivered on the agreed date",
            "Increase",
        ),
        (
            r"\b(?:accessibility|a11y|wcag)\b",
            "accessibility issues reported by users",
            "Reduce",
        ),
        (
            r"\b(?:design system|design tokens|redesign\w*|ui|settings page|pages?)\b",
            "task completion rate on {topic}",
            "Increase",
        ),
        (
            r"\b(?:germany|france|regions?|markets?|countries|locali\w*|translat\w*|i18n|"
            r"international\w*)\b",
            "active customers in the new markets",
            "Increase",
        ),
        (
            r"\b(?:sales|playbook|demos?|prospects?|outbound|emails?|conferences?|blog|"
            r"newsletter|marketing|hackathon|webinars?)\b",
            "qualified opportunities created per month",
            "Increase",
        ),
    ]
]
_TOPIC_DROP = _words(
    """the a an our all every each any remaining existing new legacy old its their this that
    migration migrations move upgrade rollout launch delivery implementation completion v1 v2 v3
    of"""
)
_TOPIC_TRAIL = _TOPIC_DROP | _words("for to in on with and")
_TOPIC_SPLIT = _words("for of on about in across")
# Verbs that say nothing about the domain of the work: "Build a cost dashboard" is about cost.
_GENERIC_WORK = _words(
    """build release ship launch deliver deploy run create implement complete finish roll make
    set start begin develop introduce add enable provide support establish define design draft
    finalise finalize kick stand spin close get"""
)


def _topic(toks: list[_Tok], lead: _Lead | None, text: str) -> str:
    """What the work is about: the verb's object without determiners and nominalised work;
    for an artefact "for"/"of"/"on" something, that something ("migration of the
    authentication service" -> "authentication service", "runbooks for all tier-1 services"
    -> "tier-1 services")."""
    if lead is not None:
        lo, hi = lead.end, _object_end(toks, lead.end)
        if lo < hi and toks[lo].norm in ("to", "from", "onto", "in", "into"):
            lo += 1
    else:
        lo, hi = 0, len(toks)
        for i, t in enumerate(toks):
            if (
                t.kind in ("c", "a", "d")
                or t.norm in (",", ":", "(")
                or (t.kind == "w" and (t.norm in COMPLETION_WORDS or t.norm in _BOUNDARY))
            ):
                hi = i
                break
    words = [t for t in toks[lo:hi] if t.kind in ("w", "n")]
    for k in range(1, len(words) - 1):
        rest = words[k + 1 :]
        if words[k].norm in _TOPIC_SPLIT and (
            _word_flags(words[k - 1].norm) & F_ARTEFACT
            or any(_singular(r.norm) in SYSTEM_NOUNS for r in rest)
        ):
            words = rest
            break
    while words and (
        words[0].norm in _TOPIC_DROP
        or words[0].kind == "n"
        or (words[0].norm.endswith("ing") and words[0].norm in VERB_FORMS)  # "moving the X"
    ):
        words.pop(0)
    if not words and hi < len(toks) and toks[hi].norm in ("to", "from", "onto", "into"):
        # "Complete the migration to AWS": the topic is past the preposition.
        words = [t for t in toks[hi + 1 : _object_end(toks, hi + 1)] if t.kind in ("w", "n")]
    while words and words[-1].norm in _TOPIC_TRAIL:
        words.pop()
    return text[words[0].start : words[-1].end] if words else ""


def _deliverable(text: str, toks: list[_Tok]) -> str:
    """The statement without trailing dates and asides, to quote back in a suggestion."""
    keep = [t for t in toks if t.kind != "d"]
    while keep and (keep[-1].kind == "s" or keep[-1].norm in ("by", "before", "in", "due", "the")):
        keep.pop()
    return text[keep[0].start : keep[-1].end] if keep else text.strip()


# Product areas: a launch there should move the area's metric, but a migration of a system in
# that area should move the system's own health ("Move the billing service onto Kubernetes").
_PRODUCT_AREAS = _words(
    "checkout billing search mobile api data support design markets sales planning"
)
_MIGRATION_WORK = _words(
    """migrate move port switch transition replace upgrade convert containerise containerize
    consolidate rewrite rebuild"""
)


def _suggest(text: str, toks: list[_Tok], lead: _Lead | None) -> str:
    """An outcome phrasing for an output, specific to its object and domain."""
    topic = _topic(toks, lead, text)
    if lead is not None and lead.lemma in _GENERIC_WORK and lead.end < len(toks):
        domain_text = text[toks[lead.end].start :].lower()
    else:
        domain_text = text.lower()
    the_topic = f"the {topic}" if topic else "it"
    head = _singular(topic.split()[-1].lower()) if topic else ""
    migrating = head in SYSTEM_NOUNS and (
        (lead is not None and lead.lemma in _MIGRATION_WORK)
        or re.search(r"\b(?:migrat\w*|moving|move|upgrade)\b", text.lower()) is not None
    )
    for area, pattern, metric, verb in _DOMAINS:
        if not pattern.search(domain_text):
            continue
        if migrating and area in _PRODUCT_AREAS:
            measure = (
                f"Reduce the error rate of the {topic} (or its p95 latency or running cost) "
                "from <now> to <target> by <date>"
            )
        else:
            for_system = f" for the {topic}" if head in SYSTEM_NOUNS else ""
            phrase = metric.replace("{for_system}", for_system).replace("{topic}", the_topic)
            measure = f"{verb} {phrase} from <now> to <target> by <date>"
        break
    else:
        thing = the_topic if topic else "this work"
        measure = (
            f"Increase <how many people rely on {thing}> or reduce <the time, errors or cost "
            f"{thing} should cut>, from <now> to <target> by <date>"
        )
    return f"Instead of “{_deliverable(text, toks)}”, measure what it should change: “{measure}”."


# --------------------------------------------------------------------------------------------
# Quoting
# --------------------------------------------------------------------------------------------

_INTRODUCERS = _words(
    "to from under below above over least most than by of at currently today was baseline vs"
)


def _phrase_around(text: str, toks: list[_Tok], i: int) -> tuple[str, tuple[int, int]]:
    """A number as written with what introduces it and its unit: "to 0.5%", "from 9 minutes",
    "to under 15", "≥ 99.9%"."""
    lo = i
    if i > 0 and (toks[i - 1].kind in ("c", "a") or toks[i - 1].norm in _INTRODUCERS):
        lo = i - 1
        if lo > 0 and toks[lo - 1].norm in ("to", "at", "from", "no", "down", "up"):
            lo -= 1
    span = (toks[lo].start, toks[_unit_end(toks, i)].end)
    return text[span[0] : span[1]], span


def _value_text(text: str, toks: list[_Tok], i: int) -> str:
    """A number as written with its unit word: "12 minutes", "99.5%", "4 hrs"."""
    return text[toks[i].start : toks[_unit_end(toks, i)].end]


def _unit_end(toks: list[_Tok], i: int) -> int:
    unit = toks[i].unit
    return i + 1 if unit and i + 1 < len(toks) and toks[i + 1].norm == unit else i


# --------------------------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------------------------


def check_key_result(
    statement: str,
    *,
    baseline: Number | None = None,
    target: Number | None = None,
    unit: str = "",
    direction: str | None = None,
    metric_name: str = "",
) -> Report:
    """Check one key result.

    Structured fields override the text when given: ``baseline`` and ``target`` (numbers in
    ``unit``) for presence and the direction check, ``direction`` (one of DIRECTIONS) for the
    check's sense, ``unit`` and ``metric_name`` for whether a metric is named. A blank
    statement has no findings: the page calls this while the lead is still typing.
    """
    text = statement or ""
    base_given, targ_given = _as_float(baseline), _as_float(target)
    direction = direction if direction in DIRECTIONS else None
    start, end, masks = _strip_decorations(text)
    toks = _tokenise(text, start, end, masks)
    if not any(t.kind in ("w", "n") for t in toks):
        return Report(
            statement=text,
            kind=OUTCOME,
            findings=(),
            suggestion=None,
            has_metric=bool(metric_name.strip() or unit.strip()),
            has_baseline=base_given is not None,
            has_target=targ_given is not None,
            direction=direction,
            baseline=_structured(base_given, unit)[0],
            target=_structured(targ_given, unit)[0],
        )
    _assign_roles(text, toks, [(m.start(), m.end()) for m in _DATE_RE.finditer(text, start, end)])
    lead = _find_lead(toks)
    _mark_frequencies(toks)
    norm = " ".join(t.norm for t in toks)
    presence = _presence(toks, lead, norm)
    numbers_given = base_given is not None or targ_given is not None
    decision = _decide(toks, lead, norm, numbers_given=numbers_given)
    every = _classes(toks, 0, len(toks))
    metric_tok = toks[every.metric] if every.metric is not None else None
    metric_ref = f"“{metric_tok.text}”" if metric_tok is not None else "it"
    has_metric = (
        bool(metric_name.strip() or unit.strip())
        or numbers_given
        or (
            every.metric is not None
            or every.rate is not None
            or any(t.kind == "n" and t.role in ("value", "window") for t in toks)
        )
    )
    has_baseline = base_given is not None or bool(presence.baselines)
    has_target = targ_given is not None or bool(presence.targets) or presence.relative_target

    findings: list[Finding] = []
    suggestion = None
    lo, hi = decision.quote
    hi = max(lo + 1, min(hi, len(toks)))
    quote_span = (toks[lo].start, toks[hi - 1].end)
    quote = text[quote_span[0] : quote_span[1]]
    if decision.kind == OUTPUT:
        suggestion = _suggest(text, toks, lead)
        # The message carries the suggestion too, so batch audits (check_key_results) and
        # anything else that shows only messages still offer the rewrite.
        findings.append(
            Finding(
                "output",
                f"“{quote}” reads as an output: work the team will do, not a change in the "
                "world that can be measured. Could all of it be finished while the problem it "
                "is meant to fix is still there? If so, state the change it should bring. "
                f"{suggestion}",
                quote,
                quote_span,
            )
        )
    if not has_metric:
        findings.append(
            Finding(
                "no_metric",
                f"No measurable quantity is named: “{text[start:end].strip()}” has no number, "
                "unit or measure (a rate, a time, a count of incidents or customers). Name the "
                "metric that will show progress.",
            )
        )
    if not has_baseline:
        findings.append(_no_baseline(text, toks, presence, metric_ref))
    if not has_target:
        findings.append(_no_target(text, toks, presence, lead, metric_ref))

    # The direction check: structured values win, each read from the text otherwise.
    base_tok = toks[presence.baselines[0]] if presence.baselines else None
    targ_tok = _target_token(toks, presence.targets)
    base = _structured(base_given, unit) if base_given is not None else _from_text(base_tok)
    targ = _structured(targ_given, unit) if targ_given is not None else _from_text(targ_tok)
    pair = _comparable(base, targ)
    effective = direction or _infer_direction(toks, lead, norm)
    if pair is not None and effective in ("increase", "decrease"):
        finding = _not_beyond(
            text,
            toks,
            pair,
            effective,
            base_shown=_shown(text, toks, base_tok, base_given, unit),
            targ_shown=_shown(text, toks, targ_tok, targ_given, unit),
            quoted=(base_tok, targ_tok) if base_given is None and targ_given is None else None,
        )
        if finding is not None:
            findings.append(finding)
    return Report(
        statement=text,
        kind=decision.kind,
        findings=tuple(findings),
        suggestion=suggestion,
        has_metric=has_metric,
        has_baseline=has_baseline,
        has_target=has_target,
        direction=effective,
        baseline=pair[0] if pair else base[0],
        target=pair[1] if pair else targ[0],
        reasons=(quote,),
    )


def _no_baseline(text: str, toks: list[_Tok], presence: _Presence, metric_ref: str) -> Finding:
    if presence.targets:
        quote, span = _phrase_around(text, toks, presence.targets[0])
        message = (
            f"No baseline: “{quote}” says where {metric_ref} should end up but not where it "
            "stands today. Add the current value (“from <now>”) so progress can be measured "
            "and scored."
        )
        return Finding("no_baseline", message, quote, span)
    return Finding(
        "no_baseline",
        f"No baseline: nothing says where {metric_ref} stands today. Add the current value "
        "(“from <now>”) so progress can be measured and scored.",
    )


def _no_target(
    text: str, toks: list[_Tok], presence: _Presence, lead: _Lead | None, metric_ref: str
) -> Finding:
    if presence.baselines:
        quote, span = _phrase_around(text, toks, presence.baselines[0])
        message = (
            f"No numeric target: “{quote}” gives the starting point but not the value "
            f"{metric_ref} should reach. Add it (“to <target> by <date>”)."
        )
        return Finding("no_target", message, quote, span)
    if lead is not None and lead.cls in ("change", "hold"):
        last = max(lead.end, _object_end(toks, lead.end)) - 1
        span = (toks[lead.index].start, toks[last].end)
        quote = text[span[0] : span[1]]
        message = (
            f"No numeric target: “{quote}” gives a direction but no value to reach. Add where "
            "it should end (“to <target> by <date>”)."
        )
        return Finding("no_target", message, quote, span)
    return Finding(
        "no_target",
        "No numeric target: nothing says what value counts as success. Add the value to reach "
        "(“to <target> by <date>”).",
    )


def _shown(text: str, toks: list[_Tok], tok: _Tok | None, given: float | None, unit: str) -> str:
    """A baseline or target as the lead wrote it: the structured value with its unit, or the
    text's own words ("12 minutes")."""
    if given is not None or tok is None:
        return f"{_fmt(given or 0.0)} {unit}".strip()
    return _value_text(text, toks, toks.index(tok))


def _not_beyond(
    text: str,
    toks: list[_Tok],
    pair: tuple[float, float],
    direction: str,
    *,
    base_shown: str,
    targ_shown: str,
    quoted: tuple[_Tok | None, _Tok | None] | None,
) -> Finding | None:
    """target_not_beyond_baseline, or None when the target moves past the baseline. ``quoted``
    holds the baseline and target tokens when both came from the text."""
    base, targ = pair
    if (targ > base) if direction == "increase" else (targ < base):
        return None
    quote, span = "", None
    if quoted is not None and quoted[0] is not None and quoted[1] is not None:
        b_span = _phrase_around(text, toks, toks.index(quoted[0]))[1]
        t_span = _phrase_around(text, toks, toks.index(quoted[1]))[1]
        span = (min(b_span[0], t_span[0]), max(b_span[1], t_span[1]))
        quote = text[span[0] : span[1]]
    goes = "go up" if direction == "increase" else "come down"
    side = "above" if direction == "increase" else "below"
    relation = "equals" if targ == base else f"is not {side}"
    message = (
        f"Target not beyond the baseline: this key result should {goes}, but the target "
        f"{targ_shown} {relation} the baseline {base_shown}"
        + (f" (“{quote}”)" if quote else "")
        + ". As written it is met without any improvement."
    )
    return Finding("target_not_beyond_baseline", message, quote, span)


def summarise(reports: Iterable[Report]) -> str | None:
    """One line for an objective's key results, or None when nothing needs a look:
    "2 of 3 key results look like outputs; 1 has no baseline; 1 has no numeric target"."""
    items = list(reports)
    total = len(items)
    outputs = sum(1 for r in items if r.kind == OUTPUT)
    no_baseline = sum(1 for r in items if "no_baseline" in r.codes)
    no_target = sum(1 for r in items if "no_target" in r.codes)
    no_metric = sum(1 for r in items if "no_metric" in r.codes and r.kind != OUTPUT)
    not_beyond = sum(1 for r in items if "target_not_beyond_baseline" in r.codes)
    parts = []
    if outputs:
        noun = "key result" if total == 1 else "key results"
        verb = "looks like an output" if outputs == 1 else "look like outputs"
        parts.append(f"{outputs} of {total} {noun} {verb}")
    if no_baseline:
        parts.append(f"{no_baseline} {'has' if no_baseline == 1 else 'have'} no baseline")
    if no_target:
        parts.append(f"{no_target} {'has' if no_target == 1 else 'have'} no numeric target")
    if no_metric:
        # Outputs name no metric almost by definition; counted once, as outputs, above.
        parts.append(f"{no_metric} {'names' if no_metric == 1 else 'name'} no metric")
    if not_beyond:
        parts.append(
            f"{not_beyond} {'has its' if not_beyond == 1 else 'have their'} target not beyond "
            "the baseline"
        )
    return "; ".join(parts) or None
