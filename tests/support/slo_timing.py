# -*- coding: utf-8 -*-
"""The SLO timing scenarios (tests/integration/test_slo_timing_promtool.py, benchmarks/slo_timing.py and slo_edges.py):
piecewise-constant traffic of good and bad requests as the counters a 30s scrape samples, the exact SRE-workbook
arithmetic on the true event counts (when each tier first fires and resolves), and the promtool checks of an alert's
edges against it."""

from __future__ import annotations

from fractions import Fraction

from ansible_collections.vigil.observability.tests.support import team_plan as build
from ansible_collections.vigil.observability.tests.support.promtool_helpers import for_promtool


SCRAPE = 30  # seconds
M, H, D = 60, 3600, 86400
OBJECTIVE = Fraction(999, 1000)
BUDGET = 1 - OBJECTIVE
PERIOD = 30 * D
# The default tiers: (action, budget share, long window, short window).
TIERS = [("page", Fraction(2, 100), H, 5 * M), ("page", Fraction(5, 100), 6 * H, 30 * M),
         ("ticket", Fraction(10, 100), D, 2 * H), ("ticket", Fraction(10, 100), 3 * D, 6 * H)]
ALERTS = {"page": "SLOErrorBudgetFastBurn", "ticket": "SLOErrorBudgetSlowBurn"}
LABELS = {"team": "shop", "namespace": "shop", "service": "api", "slo": "availability"}
TRAFFIC = 10  # requests per second
TOLERANCE = 2 * M


def phase(seconds, burn=0, traffic=TRAFFIC, scraped=True, budget=BUDGET):
    """`seconds` of `traffic` requests/s, `burn` x budget of them bad (1 / budget: all of them)."""
    return {"seconds": seconds, "rate": Fraction(traffic), "bad": min(Fraction(burn) * budget, Fraction(1)), "scraped": scraped}


# The counters a scrape samples: (series of the good requests, series of the bad ones), or for a histogram
# (the _count series of all requests, the _bucket series of the fast ones).
RATIO_SERIES = ('http_requests_total{namespace="shop",job="api",code="200"}', 'http_requests_total{namespace="shop",job="api",code="500"}')


class Traffic:
    def __init__(self, phases, error_counter=True, budget=BUDGET, series=RATIO_SERIES, histogram=False):
        self.phases, self.error_counter, self.budget = phases, error_counter, budget
        self.names, self.histogram = series, histogram
        self.end = sum(p["seconds"] for p in phases)

    def counts(self, t):
        """(all, bad) events in [0, t], exact."""
        total = bad = Fraction(0)
        start = 0
        for p in self.phases:
            span = max(0, min(t, start + p["seconds"]) - start)
            total += p["rate"] * span
            bad += p["rate"] * p["bad"] * span
            start += p["seconds"]
        return total, bad

    def observed(self, t):
        """(all, bad) as the scrapes saw them: inside a gap, the counts of the last sample before it."""
        while t > 0 and not self.scraped(t):
            t -= SCRAPE
        return self.counts(t)

    def scraped(self, t):
        start = 0
        for p in self.phases:
            if t < start + p["seconds"] or (t == self.end and start + p["seconds"] == self.end):
                return p["scraped"]
            start += p["seconds"]
        return True

    def series(self):
        first, second = [], []
        for k in range(self.end // SCRAPE + 1):
            t = k * SCRAPE
            if not self.scraped(t):
                first.append("_")
                second.append("_")
                continue
            total, errors = self.counts(t)
            # A histogram: all requests (_count) and the fast ones (_bucket); counters: the good and the bad ones.
            first.append(_num(total if self.histogram else total - errors))
            second.append(_num(total - errors if self.histogram else errors))
        out = [{"series": self.names[0], "values": " ".join(first)}]
        if self.error_counter:
            out.append({"series": self.names[1], "values": " ".join(second)})
        return out

    def window(self, t, seconds):
        total_now, bad_now = self.counts(t)
        total_then, bad_then = self.counts(max(0, t - seconds))
        return total_now - total_then, bad_now - bad_then

    def firing(self, action, t, min_events=None):
        for tier_action, share, long_s, short_s in TIERS:
            if tier_action != action:
                continue
            limit = share * Fraction(PERIOD, long_s) * self.budget
            ok = True
            for seconds in (long_s, short_s):
                total, bad = self.window(t, seconds)
                ok = ok and total > 0 and bad / total > limit
            if min_events and self.window(t, long_s)[0] < min_events:
                ok = False
            if ok:
                return True
        return False

    def edges(self, action, step, min_events=None):
        """(first firing, first resolve after it) on the evaluation grid, exact; None for an edge that never comes."""
        fire = resolve = None
        for k in range(self.end // step + 1):
            t = k * step
            state = self.firing(action, t, min_events)
            if fire is None and state:
                fire = t
            elif fire is not None and not state:
                resolve = t
                break
        return fire, resolve


def _num(value):
    value = Fraction(value)
    return str(value.numerator) if value.denominator == 1 else repr(float(value))


def rule_groups(min_events=None, budget_interval=None, slo=None, team=None):
    """The SLO rule groups of team shop: service api with `slo` (a native SLO mapping), or `team` as given."""
    slo = dict(slo or {"name": "availability", "objective": 99.9, "errors": 'http_requests_total{job="api",code=~"5.."}',
                       "total": 'http_requests_total{job="api"}'})
    if min_events:
        slo["min_events"] = min_events
    settings = {"slo_budget_interval": budget_interval} if budget_interval else {}
    team = team or {"services": [{"name": "api", "slos": [slo]}]}
    result = build.build("c1", {"observability_team_shop": team}, [], settings, promtool="skip")
    groups = [g for o in result["objects"] if o["kind"] == "PrometheusRule" and o["metadata"]["name"].endswith("slos")
              for g in o["spec"]["groups"]]
    return for_promtool(groups)


def _at(seconds):
    return "%ds" % seconds


def never_firing(alertname, until):
    if until <= 0:
        return []
    return [{"expr": 'count_over_time(ALERTS{alertname="%s",alertstate="firing"}[%ds])' % (alertname, until),
             "eval_time": _at(until), "exp_samples": []}]


def quiet_between(alertname, start, end):
    if end - start < SCRAPE:
        return []
    return [{"expr": 'count_over_time(ALERTS{alertname="%s",alertstate="firing"}[%ds])' % (alertname, end - start),
             "eval_time": _at(end), "exp_samples": []}]


def firing_at(alertname, action, t):
    labels = dict(LABELS, severity={"page": "critical", "ticket": "warning"}[action])
    return {"eval_time": _at(t), "alertname": alertname, "exp_alerts": [{"exp_labels": labels}]}


def edge_checks(traffic, action, step, min_events=None):
    """promtool checks of one alert against the exact edges; the edges too, for the scenario's own assertions."""
    name = ALERTS[action]
    fire, resolve = traffic.edges(action, step, min_events)
    if fire is None:
        return {"alert": [], "expr": never_firing(name, traffic.end)}, (None, None)
    alert_tests, expr_tests = [], never_firing(name, fire - TOLERANCE - step)
    last = resolve if resolve is not None else traffic.end
    assert last - fire > 2 * TOLERANCE, "the scenario must keep %s firing for more than 4 minutes" % name
    alert_tests.append(firing_at(name, action, fire + TOLERANCE))
    alert_tests.append(firing_at(name, action, last - TOLERANCE))
    if resolve is not None:
        expr_tests += quiet_between(name, resolve + TOLERANCE, traffic.end)
    return {"alert": alert_tests, "expr": expr_tests}, (fire, resolve)


# Scenario: (phases, error counter exists, min_events, expected edges per action as a sanity check of the exact side).
def scenarios(budget=BUDGET, **traffic):
    """The scenarios for an SLO of `budget` whose counters are `traffic` (Traffic's series and histogram)."""
    def phase(seconds, burn=0, **kw):  # pylint: disable=redefined-outer-name
        return _phase(seconds, burn, budget=budget, **kw)

    def Traffic(phases, error_counter=True):  # noqa: N802 pylint: disable=invalid-name,redefined-outer-name
        return _Traffic(phases, error_counter, budget=budget, **traffic)

    return {
        # 0.5x never fires anything: every tier needs at least 1x.
        "burn0.5": (Traffic([phase(26 * H, burn=Fraction(1, 2))]), None, {"page": False, "ticket": False}),
        # 2x after 12 clean hours: only the 3d ticket tier (1x), once its window's ratio passes 1x budget.
        "burn2": (Traffic([phase(12 * H), phase(14 * H, burn=2)]), None, {"page": False, "ticket": True}),
        # 8x: the 6h page tier (6x) at 4.5h, the 1d ticket tier (3x) at 9h.
        "burn8": (Traffic([phase(6 * H), phase(10 * H, burn=8)]), None, {"page": True, "ticket": True}),
        # 20x after a clean day: the 1h page tier (14.4x) at 43.2 minutes; then the burn stops and it resolves.
        "burn20": (Traffic([phase(D), phase(2 * H, burn=20), phase(3 * H)]), None, {"page": True, "ticket": True}),
        # A 30-minute outage: every request fails; pages within minutes, resolves once the short windows are clean.
        "outage": (Traffic([phase(6 * H), phase(30 * M, burn=1 / budget), phase(3 * H)]), None, {"page": True, "ticket": True}),
        # Traffic drops to zero during a 20x burn: the page resolves once its short windows hold no traffic.
        "zero-traffic": (Traffic([phase(6 * H), phase(2 * H, burn=20), phase(2 * H, traffic=0)]), None, {"page": True, "ticket": True}),
        # An error counter that does not exist yet: no alert, and the budget stays whole.
        "no-error-counter": (Traffic([phase(6 * H)], error_counter=False), None, {"page": False, "ticket": False}),
        # Low traffic with min_events 100: a 100% burst at 0.01 requests/s fires only once a long window holds 100 events
        # (the 6h and 1d windows, after 10,000 s); the 1h window never does.
        "min-events": (Traffic([phase(2 * H, traffic=Fraction(1, 100)), phase(3 * H, burn=1 / budget, traffic=Fraction(1, 100))]), 100,
                       {"page": True, "ticket": True}),
    }


# (scrape gap, 100% errors inside it, the alert that fires once scraping resumes) in minutes. A 25-minute gap is
# still inside the 30m window, so the page fires; a 55-minute one is not, and only the 2h window (the ticket) sees it.
GAPS = {"gap": (25, 20, "page"), "gap55": (55, 50, "ticket")}


_phase, _Traffic = phase, Traffic


def gap_traffic(gap=25, errors=20):
    """A scrape gap holding `errors` minutes of 100% errors, after 6 clean hours; 3 clean hours after it."""
    return Traffic([phase(6 * H), phase(2 * M, scraped=False), phase(errors * M, burn=1 / BUDGET, scraped=False),
                    phase((gap - 2 - errors) * M, scraped=False), phase(3 * H)])


def gap_checks(traffic, step, gap=25):
    """The 1h, 6h and the 30d error counts once scraping resumes: every bad request of the gap, counted once."""
    resume = 6 * H + gap * M
    tests = []
    for t in (resume + 2 * step, resume + 30 * M, resume + 50 * M):
        for name, seconds in (("increase1h", H), ("increase6h", 6 * H)):
            # The gap's errors happened at unknown times inside it: they count from the resume on, like the increase
            # between the samples around the gap does (after 50 minutes the 1h window still holds them all).
            bad = traffic.counts(t)[1] - traffic.observed(max(0, t - seconds))[1]
            tests.append((t, "vigil:slo_errors:%s" % name, bad))
    for t in (resume + 10 * M, resume + 2 * H):
        _total, bad = traffic.counts(t)
        tests.append((t, "vigil:slo_errors:increase30d", bad))
    out = []
    for t, series, expected in tests:
        # Within 1%: Prometheus extrapolates each raw read to its window's edges.
        low, high = _num(expected * Fraction(99, 100)), _num(expected * Fraction(101, 100))
        labels = "{%s}" % ",".join('%s="%s"' % kv for kv in sorted(LABELS.items()))
        # (a > bool low) * (a < bool high): 1 only when both hold (`and` would keep the first whatever the second).
        out.append({"expr": "(%s > bool %s) * (%s < bool %s)" % (series, low, series, high), "eval_time": _at(t),
                    "exp_samples": [{"labels": labels, "value": 1}]})
    return out
