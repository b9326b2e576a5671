"""RDS rules that read a database's parameter group: TLS enforced (`rds.force_ssl`) and query
logging. They are stack rules because the parameter group is its own resource, joined to its
database through `parameterGroupName` / `dbClusterParameterGroupName`.
"""

from __future__ import annotations

from policy.framework import Resource, Stack, stack_rule
from policy.helpers import as_list, each, linked, number, version_tuple
from policy.rules.aws.rds import RDS_CLUSTER, RDS_INSTANCE, engine_of

RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
RDS_CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"


def _parameters(group: Resource) -> dict[str, str]:
    return {
        str(p.get("name")): str(p.get("value"))
        for p in as_list(group.props.get("parameters"))
        if isinstance(p, dict)
    }


def _db_parameter_group(stack: Stack, db: Resource) -> tuple[str, list[Resource]]:
    if db.type == RDS_CLUSTER:
        prop, types = "dbClusterParameterGroupName", (RDS_CLUSTER_PARAMETER_GROUP,)
    else:
        prop, types = "parameterGroupName", (RDS_PARAMETER_GROUP,)
    return prop, linked(db, prop, stack.of_type(*types), keys=("name",))


@stack_rule(
    id="AWS-RDS-014",
    title="PostgreSQL databases require TLS (rds.force_ssl)",
    severity="high",
    description="For every PostgreSQL RDS instance and Aurora PostgreSQL cluster, the parameter group it "
    "names (`parameterGroupName` / `dbClusterParameterGroupName`) is in the stack and sets "
    "`rds.force_ssl = 1`. Without a custom group, the engine default applies: on for PostgreSQL "
    "15 and later, off before.",
    rationale="Without force_ssl the server accepts plaintext connections, so credentials and query results "
    "cross the VPC unencrypted whenever a client forgets `sslmode=require`.",
    remediation="The `Postgres` component creates a parameter group with `rds.force_ssl = 1`; on a custom "
    'group add `{"name": "rds.force_ssl", "value": "1"}`.',
    tags=("checkov:CKV2_AWS_69", "fsbp:RDS.38"),
)
def rds_force_ssl(stack: Stack):
    def check(db: Resource):
        engine = engine_of(db)
        if "postgres" not in engine:
            return
        prop, groups = _db_parameter_group(stack, db)
        if not db.props.get(prop):
            major = (version_tuple(db.props.get("engineVersion")) or (99,))[0]
            if major < 15:
                yield (
                    db,
                    (
                        f"no {prop}: the default group of PostgreSQL {major} has rds.force_ssl = 0; "
                        "use a parameter group with rds.force_ssl = 1"
                    ),
                )
            return
        for group in groups:
            if _parameters(group).get("rds.force_ssl") != "1":
                yield (
                    db,
                    (
                        f"parameter group {group.name} does not set rds.force_ssl = 1: plaintext "
                        "connections are accepted"
                    ),
                )

    yield from each(stack.of_type(RDS_INSTANCE, RDS_CLUSTER), check)


@stack_rule(
    id="AWS-RDS-015",
    title="PostgreSQL parameter groups log slow and schema-changing statements",
    severity="low",
    description="For every PostgreSQL instance/cluster whose parameter group is in the stack, the group sets "
    "`log_min_duration_statement` to a value ≥ 0 and `log_statement` to ddl, mod or all.",
    rationale="Query logs are the evidence trail for who changed the schema or exfiltrated data, and the "
    "first place to look when the database slows down.",
    remediation="Add `log_statement = ddl` and `log_min_duration_statement = 1000` to the parameter group "
    "(the `Postgres` component sets both).",
    tags=("checkov:CKV2_AWS_30", "checkov:CKV2_AWS_27"),
)
def rds_query_logging(stack: Stack):
    def check(db: Resource):
        if "postgres" not in engine_of(db):
            return
        for group in _db_parameter_group(stack, db)[1]:
            params = _parameters(group)
            if number(params.get("log_min_duration_statement"), -1) < 0:
                yield db, f"parameter group {group.name}: log_min_duration_statement is unset or -1"
            if params.get("log_statement") not in ("ddl", "mod", "all"):
                yield db, f"parameter group {group.name}: log_statement is not ddl, mod or all"

    yield from each(stack.of_type(RDS_INSTANCE, RDS_CLUSTER), check)
