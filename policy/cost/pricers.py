"""One pricer per AWS (and cost-bearing Kubernetes) resource type: inputs in, monthly lines out.

Each line says how it was computed (`formula`), which usage assumption it rests on, and which config
key lowers it (`lever`). Inputs are read as the program sent them; a price the table lacks raises
MissingPrice instead of pricing at zero. Types that cost nothing themselves are in free.FREE_TYPES.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from policy.cost.assumptions import key
from policy.cost.model import Context, CostResource, Line
from policy.cost.prices import MissingPrice

Pricer = Callable[[CostResource, Context], list[Line]]
PRICERS: dict[str, Pricer] = {}


def pricer(*types: str) -> Callable[[Pricer], Pricer]:
    def register(fn: Pricer) -> Pricer:
        for t in types:
            PRICERS[t] = fn
        return fn

    return register


def usd(value: float) -> str:
    return f"${value:,.2f}"


def rate(value: float) -> str:
    return f"${value:g}"


def number(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _line(
    r: CostResource, item: str, amount: float, formula: str, lever: str, prices, assumption=None
) -> Line:
    return Line(
        resource=r.name,
        type=r.type,
        urn=r.urn,
        item=item,
        monthly_usd=amount,
        formula=formula,
        lever=lever,
        prices=tuple(prices),
        assumption=assumption,
    )


def _region(r: CostResource, ctx: Context) -> str:
    region = ctx.region_of(r)
    if region is None:
        raise MissingPrice("(no region)", f"{r.name}: the stack has no aws provider to say its region")
    return region


def _assume(field_name: str, value: Any, unit: str) -> str:
    return f"{key(field_name)} = {value:g} {unit}"


# --- compute ------------------------------------------------------------------------------------


@pricer("aws:eks/cluster:Cluster")
def eks_cluster(r: CostResource, ctx: Context) -> list[Line]:
    region = _region(r, ctx)
    extended = r.get("upgradePolicy.supportType") == "EXTENDED"
    p = ctx.price(region, "eks.cluster.extended" if extended else "eks.cluster.standard")
    hours = ctx.hours(region)
    lever = "cluster.supportType (EXTENDED costs 6x)" if extended else "none: one control plane per stack"
    return [_line(r, "control plane", p.usd * hours, f"{hours:g} h × {rate(p.usd)}", lever, [p])]


def _node_group_name(r: CostResource) -> str:
    return (r.get("labels") or {}).get("groundwork.dev/node-group") or r.name


@pricer("aws:eks/nodeGroup:NodeGroup")
def eks_node_group(r: CostResource, ctx: Context) -> list[Line]:
    region = _region(r, ctx)
    hours = ctx.hours(region)
    group = _node_group_name(r)
    desired = int(number(r.get("scalingConfig.desiredSize"), 1))
    low, high = (
        int(number(r.get("scalingConfig.minSize"), desired)),
        int(number(r.get("scalingConfig.maxSize"), desired)),
    )
    types = list(r.get("instanceTypes") or ["t3.medium"])
    p = ctx.price(region, f"ec2.instance.{types[0]}")
    spot = r.get("capacityType") == "SPOT"
    factor = 1 - ctx.assumptions.spot_discount_percent / 100 if spot else 1.0
    each = p.usd * hours * factor
    formula = f"{desired} × {types[0]} × {hours:g} h × {rate(p.usd)}"
    assumption = f"desiredSize {desired} (autoscaling {low}-{high}: {usd(each * low)}-{usd(each * high)})"
    if spot:
        formula += f" × (1 − {ctx.assumptions.spot_discount_percent:g}% Spot)"
        assumption += (
            f"; Spot priced at {_assume('spot_discount_percent', ctx.assumptions.spot_discount_percent, '%')}"
            f" off On-Demand, the first of {', '.join(types)}; Spot prices move and nodes can be reclaimed"
        )
    path = f"cluster.nodeGroups.{group}"
    lines = [
        _line(
            r,
            "nodes",
            each * desired,
            formula,
            f"{path}.capacityType (SPOT), {path}.instanceTypes, {path}.desiredSize",
            [p],
            assumption,
        )
    ]
    size, volume_type = _root_volume(r, ctx)
    ebs = ctx.price(region, f"ec2.ebs.{volume_type}")
    lines.append(
        _line(
            r,
            "root volumes",
            desired * size * ebs.usd,
            f"{desired} × {size:g} GB {volume_type} × {rate(ebs.usd)}",
            f"{path}.diskSizeGib",
            [ebs],
        )
    )
    return lines


def _root_volume(r: CostResource, ctx: Context) -> tuple[float, str]:
    template = ctx.dependency(r, "launchTemplate")
    if template is not None:
        ebs = template.get("blockDeviceMappings.0.ebs") or {}
        return number(ebs.get("volumeSize"), 20), str(ebs.get("volumeType") or "gp3")
    return number(r.get("diskSize"), 20), "gp3"


# --- network ------------------------------------------------------------------------------------


@pricer("aws:ec2/natGateway:NatGateway")
def nat_gateway(r: CostResource, ctx: Context) -> list[Line]:
    region = _region(r, ctx)
    hours = ctx.hours(region)
    hour, gb = ctx.price(region, "vpc.nat_gateway.hour"), ctx.price(region, "vpc.nat_gateway.gb")
    data = ctx.assumptions.nat_gb_per_month
    return [
        _line(
            r,
            "hours",
            hour.usd * hours,
            f"{hours:g} h × {rate(hour.usd)}",
            "network.natGateways (single)",
            [hour],
        ),
        _line(
            r,
            "data processed",
            gb.usd * data,
            f"{data:g} GB × {rate(gb.usd)}",
            f"{key('nat_gb_per_month')}, network.interfaceEndpoints (AWS API traffic off the NAT)",
            [gb],
            _assume("nat_gb_per_month", data, "GB per gateway"),
        ),
    ]


@pricer("aws:ec2/eip:Eip")
def elastic_ip(r: CostResource, ctx: Context) -> list[Line]:
    region = _region(r, ctx)
    hours = ctx.hours(region)
    p = ctx.price(region, "vpc.public_ipv4")
    return [
        _line(
            r,
            "public IPv4",
            p.usd * hours,
            f"{hours:g} h × {rate(p.usd)}",
            "network.natGateways (single)",
            [p],
        )
    ]


@pricer("aws:ec2/vpcEndpoint:VpcEndpoint")
def vpc_endpoint(r: CostResource, ctx: Context) -> list[Line]:
    if (r.get("vpcEndpointType") or "Gateway") != "Interface":
        return []  # gateway endpoints (S3, DynamoDB) are free
    region = _region(r, ctx)
    hours = ctx.hours(region)
    zones = max(1, len(r.get("subnetIds") or []))
    hour, gb = (
        ctx.price(region, "vpc.interface_endpoint.hour"),
        ctx.price(region, "vpc.interface_endpoint.gb"),
    )
    data = ctx.assumptions.endpoint_gb_per_month
    service = str(r.get("serviceName") or "").rsplit(".", 1)[-1]
    return [
        _line(
            r,
            f"{service} endpoint in {zones} AZ",
            hour.usd * hours * zones,
            f"{zones} AZ × {hours:g} h × {rate(hour.usd)}",
            "network.interfaceEndpoints (false: AWS APIs through the NAT)",
            [hour],
        ),
        _line(
            r,
            "data processed",
            gb.usd * data,
            f"{data:g} GB × {rate(gb.usd)}",
            key("endpoint_gb_per_month"),
            [gb],
            _assume("endpoint_gb_per_month", data, "GB per endpoint"),
        ),
    ]


# --- load balancers -----------------------------------------------------------------------------


def _load_balancer(r: CostResource, ctx: Context, kind: str, item: str) -> list[Line]:
    region = _region(r, ctx)
    hours = ctx.hours(region)
    hour, lcu = ctx.price(region, f"elb.{kind}.hour"), ctx.price(region, f"elb.{kind}.lcu")
    field_name = "alb_lcu_per_hour" if kind == "alb" else "nlb_lcu_per_hour"
    units = getattr(ctx.assumptions, field_name)
    return [
        _line(
            r,
            f"{item} hours",
            hour.usd * hours,
            f"{hours:g} h × {rate(hour.usd)}",
            "share one load balancer (ingress group)",
            [hour],
        ),
        _line(
            r,
            f"{item} capacity units",
            lcu.usd * units * hours,
            f"{units:g} LCU × {hours:g} h × {rate(lcu.usd)}",
            key(field_name),
            [lcu],
            _assume(field_name, units, "LCU an hour"),
        ),
    ]


@pricer("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
def load_balancer(r: CostResource, ctx: Context) -> list[Line]:
    kind = "nlb" if r.get("loadBalancerType") == "network" else "alb"
    return _load_balancer(r, ctx, kind, "NLB" if kind == "nlb" else "ALB")


@pricer("kubernetes:networking.k8s.io/v1:Ingress")
def ingress(r: CostResource, ctx: Context) -> list[Line]:
    """The AWS Load Balancer Controller makes one ALB per Ingress, or one per `group.name` shared by
    every Ingress of the group (priced on the group's first Ingress)."""
    annotations = r.get("metadata.annotations") or {}
    klass = r.get("spec.ingressClassName") or annotations.get("kubernetes.io/ingress.class")
    if klass != "alb" or not ctx.on_aws:
        return []
    group = annotations.get("alb.ingress.kubernetes.io/group.name")
    if group:
        first = next(
            i
            for i in ctx.of_type(r.type)
            if (i.get("metadata.annotations") or {}).get("alb.ingress.kubernetes.io/group.name") == group
        )
        if first.urn != r.urn:
            return []
    return _load_balancer(r, ctx, "alb", "ALB")


@pricer("kubernetes:core/v1:Service")
def service(r: CostResource, ctx: Context) -> list[Line]:
    if r.get("spec.type") != "LoadBalancer" or not ctx.on_aws:
        return []
    return _load_balancer(r, ctx, "nlb", "NLB")


@pricer("aws:wafv2/webAcl:WebAcl")
def web_acl(r: CostResource, ctx: Context) -> list[Line]:
    region = _region(r, ctx)
    acl, rule, requests = (ctx.price(region, f"waf.{i}") for i in ("web_acl", "rule", "requests"))
    rules = len(r.get("rules") or [])
    volume = ctx.assumptions.waf_million_requests_per_month
    return [
        _line(r, "web ACL", acl.usd, f"1 × {rate(acl.usd)}", "one web ACL per stack", [acl]),
        _line(r, "rules", rule.usd * rules, f"{rules} × {rate(rule.usd)}", "the ACL's rules", [rule]),
        _line(
            r,
            "requests",
            requests.usd * volume,
            f"{volume:g} M × {rate(requests.usd)}",
            key("waf_million_requests_per_month"),
            [requests],
            _assume("waf_million_requests_per_month", volume, "million requests"),
        ),
    ]


@pricer("aws:route53/zone:Zone")
def hosted_zone(r: CostResource, ctx: Context) -> list[Line]:
    p = ctx.price(_region(r, ctx), "route53.hosted_zone")
    return [_line(r, "hosted zone", p.usd, f"1 × {rate(p.usd)}", "one zone per domain", [p])]


# --- keys, secrets, registries -------------------------------------------------------------------


@pricer("aws:kms/key:Key")
def kms_key(r: CostResource, ctx: Context) -> list[Line]:
    p = ctx.price(_region(r, ctx), "kms.key")
    note = "first year; each yearly rotation adds $1/month (twice)" if r.get("enableKeyRotation") else None
    return [
        _line(r, "key", p.usd, f"1 × {rate(p.usd)}", "one key per stack (and one per DR region)", [p], note)
    ]


@pricer("aws:guardduty/detector:Detector")
def guardduty_detector(r: CostResource, ctx: Context) -> list[Line]:
    """GuardDuty bills by what it analyses, not per detector: the named assumption carries the
    figure (its features, aws:guardduty/detectorFeature, are priced here, on the detector)."""
    amount = ctx.assumptions.guardduty_usd_per_month
    return [
        _line(
            r,
            "analysed events and logs",
            amount,
            f"assumed {usd(amount)}",
            "securityBaseline.guarddutyEnabled false only where the organisation's GuardDuty covers the "
            "account; lower the assumption after the 30-day trial shows the real figure",
            [],
            _assume("guardduty_usd_per_month", amount, "USD"),
        )
    ]


@pricer("aws:secretsmanager/secret:Secret")
def secret(r: CostResource, ctx: Context) -> list[Line]:
    p = ctx.price(_region(r, ctx), "secretsmanager.secret")
    return [_line(r, "secret", p.usd, f"1 × {rate(p.usd)}", "one secret per credential", [p])]


@pricer("aws:ecr/repository:Repository")
def ecr_repository(r: CostResource, ctx: Context) -> list[Line]:
    p = ctx.price(_region(r, ctx), "ecr.storage")
    size = ctx.assumptions.ecr_gb_per_repository
    return [
        _line(
            r,
            "image storage",
            p.usd * size,
            f"{size:g} GB × {rate(p.usd)}",
            f"{key('ecr_gb_per_repository')} (lifecycle policy keeps fewer images)",
            [p],
            _assume("ecr_gb_per_repository", size, "GB"),
        )
    ]


# --- Kubernetes volumes (EBS through the cluster's StorageClass) ---------------------------------

_QUANTITY = re.compile(r"^(?P<n>\d+(?:\.\d+)?)(?P<unit>Ki|Mi|Gi|Ti|K|M|G|T)?$")
_GIB = {
    "Ki": 1 / 1024**2,
    "Mi": 1 / 1024,
    "Gi": 1.0,
    "Ti": 1024.0,
    "K": 1e-6,
    "M": 1e-3,
    "G": 1.0,
    "T": 1000.0,
}


def gib(quantity: Any) -> float:
    match = _QUANTITY.match(str(quantity or "").strip())
    if not match:
        return 0.0
    return float(match["n"]) * _GIB.get(match["unit"] or "", 1 / 1024**3)


def _volumes(r: CostResource, ctx: Context, claims: list[tuple[str, float, int]], lever: str) -> list[Line]:
    if not ctx.on_aws or not claims:
        return []  # local: the kind cluster's own disk
    region = _region(r, ctx)
    p = ctx.price(region, "ec2.ebs.gp3")
    return [
        _line(
            r,
            f"{what} volume",
            size * count * p.usd,
            f"{count} × {size:g} GiB gp3 × {rate(p.usd)}",
            lever,
            [p],
        )
        for what, size, count in claims
        if size > 0 and count > 0
    ]


@pricer("kubernetes:core/v1:PersistentVolumeClaim")
def persistent_volume_claim(r: CostResource, ctx: Context) -> list[Line]:
    size = gib(r.get("spec.resources.requests.storage"))
    return _volumes(r, ctx, [("claim", size, 1)], "the claim's storage request")


@pricer("kubernetes:apps/v1:StatefulSet")
def stateful_set(r: CostResource, ctx: Context) -> list[Line]:
    replicas = int(number(r.get("spec.replicas"), 1))
    claims = [
        (
            str(t.get("metadata", {}).get("name", "data")),
            gib(t.get("spec", {}).get("resources", {}).get("requests", {}).get("storage")),
            replicas,
        )
        for t in r.get("spec.volumeClaimTemplates") or []
    ]
    return _volumes(r, ctx, claims, "the data service's inClusterVolumeGb")


# Charts whose values create PersistentVolumeClaims: (what, size path, replicas path, enabled path).
CHART_VOLUMES: dict[str, tuple[tuple[str, str, str | None, str | None], ...]] = {
    "kube-prometheus-stack": (
        (
            "prometheus",
            "prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage",
            "prometheus.prometheusSpec.replicas",
            None,
        ),
        (
            "alertmanager",
            "alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec.resources.requests.storage",
            "alertmanager.alertmanagerSpec.replicas",
            None,
        ),
        ("grafana", "grafana.persistence.size", None, "grafana.persistence.enabled"),
    ),
}


@pricer("kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Chart", "kubernetes:helm.sh/v3:Release")
def helm_chart(r: CostResource, ctx: Context) -> list[Line]:
    claims = []
    for what, size_path, replicas_path, enabled_path in CHART_VOLUMES.get(str(r.get("chart")), ()):
        values = CostResource(r.urn, r.type, r.name, r.get("values") or {})
        if enabled_path and not values.get(enabled_path):
            continue
        replicas = int(number(values.get(replicas_path), 1)) if replicas_path else 1
        claims.append((what, gib(values.get(size_path)), replicas))
    return _volumes(r, ctx, claims, "monitoring.prometheusStorageGi, prometheusReplicas, grafanaStorageGi")


def vcpus(instance_class: str) -> int:
    """vCPUs of an RDS or EC2 class from its size: micro to large have 2, xlarge 4, Nxlarge 4N."""
    size = instance_class.rsplit(".", 1)[-1]
    if size in ("micro", "small", "medium", "large"):
        return 2
    if size == "xlarge":
        return 4
    match = re.match(r"^(\d+)xlarge$", size)
    return 4 * int(match[1]) if match else 2


def months(retention_days: Any) -> tuple[float, bool]:
    """Months of data a retention keeps at steady state; never-expiring data is capped at a year."""
    days = number(retention_days)
    if days <= 0:
        return 12.0, True
    return days / (365 / 12), False


def runs_per_month(schedule: str) -> float:
    """Runs a month of an AWS cron(min hour day-of-month month day-of-week year) or rate() schedule."""
    text = schedule.strip()
    match = re.match(r"^rate\((\d+) (minute|hour|day)s?\)$", text)
    if match:
        per_day = {"minute": 1440, "hour": 24, "day": 1}[match[2]] / int(match[1])
        return per_day * 365 / 12
    match = re.match(r"^cron\((.+)\)$", text)
    if not match:
        return 365 / 12 / 7
    fields = match[1].split()
    day_of_month, day_of_week = (fields[2], fields[4]) if len(fields) >= 5 else ("*", "?")
    if day_of_week not in ("?", "*"):
        days = sum(_days_in(part) for part in day_of_week.split(","))
        return days * 365 / 12 / 7
    if day_of_month in ("*", "?"):
        return 365 / 12
    return float(len(day_of_month.split(",")))


_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def _weekday(token: str) -> int:
    return int(token) % 7 if token.isdigit() else _WEEKDAYS.index(token[:3].upper())


def _days_in(part: str) -> float:
    """Days a day-of-week field part names: `SUN` is 1, `MON-FRI` is 5, `2#1` (a first Monday) ~1/4."""
    if "#" in part:
        return 0.25
    if "-" in part:
        first, last = part.split("-", 1)
        return (_weekday(last) - _weekday(first)) % 7 + 1
    return 1
