"""An app's SLOs as Prometheus rules: multi-window burn-rate alerts and a p95 latency alert.

Availability follows the multi-window, multi-burn-rate method of Google's SRE workbook ("Alerting
on SLOs"): with an error budget E = 1 - availability, page when the last hour and the last
5 minutes both burn faster than 14.4 x E (2% of a 30-day budget in an hour) or the last 6 hours and
30 minutes both faster than 6 x E (5% in 6 hours); open a ticket-level warning when a day and
2 hours burn faster than 3 x E, or 3 days and 6 hours faster than 1 x E. The short window makes an
alert stop soon after the errors do.

The metrics are the Prometheus client libraries' defaults (the same contract as
components/monitoring_assets/rules/api.yaml): `http_requests_total{status}` and the histogram
`http_request_duration_seconds_bucket`, scraped through the app's ServiceMonitor, which labels
every series with the app's `namespace` and `service`. Severities route through the stack's
Alertmanager receivers (critical pages, warning posts); every alert links its runbook section.
"""

from __future__ import annotations

from typing import Any

WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
# (long window, short window, burn-rate factor) per severity, from the SRE workbook's table.
PAGE = (("1h", "5m", 14.4), ("6h", "30m", 6.0))
TICKET = (("1d", "2h", 3.0), ("3d", "6h", 1.0))
RUNBOOK_PAGE = "apps.md"
ALERTS = ("AppAvailabilityBurnRateCritical", "AppAvailabilityBurnRateWarning", "AppLatencyP95High")


def _selector(namespace: str, service: str) -> str:
    return f'namespace="{namespace}", service="{service}"'


def _ratio(window: str) -> str:
    return f"app:http_request_errors:ratio_rate{window}"


def _burn(selector: str, pairs: tuple[tuple[str, str, float], ...], budget: float) -> str:
    clauses = [
        f"({_ratio(long)}{{{selector}}} > {factor * budget:.6g}"
        f" and {_ratio(short)}{{{selector}}} > {factor * budget:.6g})"
        for long, short, factor in pairs
    ]
    return "\n or ".join(clauses)


def slo_rules(
    *,
    app: str,
    namespace: str,
    service: str,
    availability: float,
    latency_p95_ms: int | None,
    runbook_base_url: str,
) -> dict[str, Any]:
    """The PrometheusRule spec for one app (recording rules per window, then the alerts)."""
    selector = _selector(namespace, service)
    budget = round(1 - availability / 100, 10)
    runbook = f"{runbook_base_url.rstrip('/')}/{RUNBOOK_PAGE}"
    labels = {"app": app}
    records = [
        {
            "record": _ratio(window),
            "expr": (
                "sum by (namespace, service) "
                f'(rate(http_requests_total{{{selector}, status=~"5.."}}[{window}]))\n/\n'
                f"sum by (namespace, service) (rate(http_requests_total{{{selector}}}[{window}]))"
            ),
            "labels": labels,
        }
        for window in WINDOWS
    ]
    alerts: list[dict[str, Any]] = [
        {
            "alert": "AppAvailabilityBurnRateCritical",
            "expr": _burn(selector, PAGE, budget),
            "for": "2m",
            "labels": {**labels, "severity": "critical"},
            "annotations": {
                "summary": f"{namespace}/{app} burns its {availability}% availability budget fast",
                "description": "At this rate the 30-day error budget is gone in about two days: "
                "{{ $value | humanizePercentage }} of requests fail.",
                "runbook_url": f"{runbook}#appavailabilityburnratecritical",
            },
        },
        {
            "alert": "AppAvailabilityBurnRateWarning",
            "expr": _burn(selector, TICKET, budget),
            "for": "15m",
            "labels": {**labels, "severity": "warning"},
            "annotations": {
                "summary": f"{namespace}/{app} is eating into its {availability}% availability budget",
                "description": "{{ $value | humanizePercentage }} of requests fail; the budget runs out "
                "before the 30 days do.",
                "runbook_url": f"{runbook}#appavailabilityburnratewarning",
            },
        },
    ]
    if latency_p95_ms is not None:
        alerts.append(
            {
                "alert": "AppLatencyP95High",
                "expr": (
                    "histogram_quantile(0.95, sum by (namespace, service, le) "
                    f"(rate(http_request_duration_seconds_bucket{{{selector}}}[5m])))"
                    f" > {latency_p95_ms / 1000:g}"
                ),
                "for": "10m",
                "labels": {**labels, "severity": "warning"},
                "annotations": {
                    "summary": f"{namespace}/{app} p95 latency above {latency_p95_ms} ms",
                    "description": "p95 is {{ $value | humanizeDuration }} over the last 5 minutes.",
                    "runbook_url": f"{runbook}#applatencyp95high",
                },
            }
        )
    return {"groups": [{"name": f"groundwork.app.{app}", "rules": [*records, *alerts]}]}
