"""The pages bench's leads seeded in SQL on PostgreSQL (`bench/pages.py --sql-seed`): the same shape as its
bulk_create seed (stages, owners, values, scores, sources, tags, lists, a "created" line, a stage change and an open
task for about a third), drawn by `random()` inside the server, so that a million leads take minutes, not hours,
on a busy machine."""

from __future__ import annotations

import random

from django.db import connection
from django.db.models import DateTimeField, Model

# A weighted choice in SQL: the choices repeated by weight into an array of this many slots, one picked uniformly.
SLOTS = 100


def _slots(choices: list, weights: list[float]) -> list:
    """`choices` spread over SLOTS array slots by weight (each at least one)."""
    total = sum(weights)
    counts = [max(1, round(weight * SLOTS / total)) for weight in weights]
    return [choice for choice, count in zip(choices, counts, strict=True) for _ in range(count)]


def _pick(name: str, random_column: str) -> str:
    """SQL picking from the array parameter %(name)s with a random number in [0, 1)."""
    return f"(%({name})s::text[])[1 + floor({random_column} * cardinality(%({name})s::text[]))::int]"


def insert_select(model: type[Model], columns: dict[str, str], source: str, params: dict | None = None) -> int:
    """INSERT INTO the model's table SELECT `columns` (column -> SQL) FROM `source`; every other column gets its
    field's default (or NULL, or now() for a timestamp without one)."""
    values = dict(params or {})
    selected = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.column in columns:
            selected.append((field.column, columns[field.column]))
        elif field.has_default() or (not field.null and field.get_default() is not None):  # "" for text fields
            values[f"default_{field.column}"] = field.get_db_prep_save(field.get_default(), connection)
            selected.append((field.column, f"%(default_{field.column})s"))
        elif field.null:
            selected.append((field.column, "NULL"))
        elif isinstance(field, DateTimeField):
            selected.append((field.column, "now()"))
        else:
            raise ValueError(f"{model.__name__}.{field.name} needs a value")
    names = ", ".join(connection.ops.quote_name(column) for column, _ in selected)
    expressions = ", ".join(expression for _, expression in selected)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {expressions} FROM {source}", values)  # noqa: S608
        return cursor.rowcount


def seed_leads_sql(lead_count: int, *, users: dict, stages: list, tags: list, lists: list, rng: random.Random) -> None:
    """Companies, leads and what each lead has, in a few INSERT ... SELECT statements."""
    from pages import INDUSTRIES, NAME_NOUNS, NAME_PARTS, OPEN_TASK_SHARE, SIZES, STAGE_WEIGHTS, USERS

    from crm import demo_data as demo
    from crm.models import Activity, Company, Lead, ListMembership, StageChange, Task

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [rng.random()])
    company_count = max(lead_count // 10, 1)
    locations = [city.location for city in demo.CITIES.values()]
    insert_select(
        Company,
        {
            "name": f"{_pick('parts', 'random()')} || ' ' || {_pick('nouns', 'random()')} || ' ' || g",
            "domain": "'company' || g || '.example'",
            "name_key": "'company ' || g",
            "industry": _pick("industries", "random()"),
            "size": _pick("sizes", "random()"),
            "location": _pick("locations", "random()"),
        },
        "generate_series(1, %(count)s) AS g",
        {
            "count": company_count,
            "parts": NAME_PARTS,
            "nouns": NAME_NOUNS,
            "industries": INDUSTRIES,
            "sizes": SIZES,
            "locations": locations,
        },
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM crm_company")
        first_company, last_company = cursor.fetchone()

    weights = (STAGE_WEIGHTS + [STAGE_WEIGHTS[-1]] * len(stages))[: len(stages)]
    pools = list(demo.FIRST_NAMES)
    pool_slots = _slots(pools, [60, 20, 10, 5, 5])
    owners = [*(str(users[persona].pk) for persona, *_ in USERS), ""]
    owner_slots = _slots(owners, [share for *_, share in USERS] + [18])
    titles = [title for title, _, _ in demo.TITLES]
    grade_slots = _slots(["hot", "warm", "cold", ""], [20, 35, 35, 10])
    params = {
        "count": lead_count,
        "pools": pool_slots,
        "stages": _slots([str(stage.pk) for stage in stages], weights),
        "contacts": [str(stage.pk) for stage in stages[:2]],
        "owners": owner_slots,
        "titles": _slots(titles, [weight for _, weight, _ in demo.TITLES]),
        "sources": _slots(demo.SOURCES, demo.SOURCE_WEIGHTS),
        "grades": grade_slots,
        "first_company": first_company,
        "companies": last_company - first_company + 1,
    }
    first_names = {pool: demo.FIRST_NAMES[pool] for pool in pools}
    last_names = {pool: demo.LAST_NAMES[pool] for pool in pools}
    for pool in pools:
        params[f"first_{pool}"], params[f"last_{pool}"] = first_names[pool], last_names[pool]
    first_case = " ".join(f"WHEN '{pool}' THEN {_pick(f'first_{pool}', 'r.first')}" for pool in pools)
    last_case = " ".join(f"WHEN '{pool}' THEN {_pick(f'last_{pool}', 'r.last')}" for pool in pools)
    # Only names of parameters are formatted into this SQL, never values.
    drawn = f"""(
        SELECT g, {_pick("pools", "random()")} AS pool, random() AS first, random() AS last,
            {_pick("stages", "random()")}::int AS stage_id, nullif({_pick("owners", "random()")}, '')::int AS owner_id,
            {_pick("grades", "random()")} AS grade, random() AS score, random() AS value, random() AS has_company,
            now() - random() * interval '540 days' AS created_at, random() AS updated
        FROM generate_series(1, %(count)s) AS g
    ) AS r"""  # noqa: S608
    name = f"(CASE r.pool {first_case} END)"
    surname = f"(CASE r.pool {last_case} END)"
    insert_select(
        Lead,
        {
            "first_name": name,
            "last_name": surname,
            "title": _pick("titles", "random()"),
            "email": f"lower({name} || '.' || {surname}) || '.' || r.g || '@mail.example'",
            "email_key": f"lower({name} || '.' || {surname}) || '.' || r.g || '@mail.example'",
            "company_id": "CASE WHEN r.has_company < 0.9 THEN %(first_company)s + (r.g %% %(companies)s) END",
            "source": _pick("sources", "random()"),
            "lifecycle": "CASE WHEN r.stage_id::text = ANY(%(contacts)s) THEN 'contact' ELSE 'lead' END",
            "stage_id": "r.stage_id",
            "owner_id": "r.owner_id",
            "deal_value": "CASE WHEN r.value < 0.7 THEN 4000 + floor(r.value / 0.7 * 256000) END",
            "score": (
                "CASE r.grade WHEN 'hot' THEN 70 + floor(r.score * 31) WHEN 'warm' THEN 40 + floor(r.score * 30) "
                "WHEN 'cold' THEN floor(r.score * 40) ELSE 0 END"
            ),
            "grade": "r.grade",
            # Scored, as a CRM in use is: nothing waits for the rescore task (whose work is bench/score.py's).
            "score_stale": "false",
            "scored_at": "now()",
            "created_at": "r.created_at",
            "updated_at": "r.created_at + (now() - r.created_at) * r.updated * r.updated",
        },
        drawn,
        params,
    )
    tag_ids = [tag.pk for tag in tags]
    insert_select(
        Lead.tags.through,
        {"lead_id": "l.id", "tag_id": "(%(tags)s::int[])[1 + ((l.id * 7 + k) %% cardinality(%(tags)s::int[]))]"},
        "crm_lead AS l CROSS JOIN LATERAL generate_series(0, l.id %% 3) AS k WHERE l.id %% 100 < 35",
        {"tags": tag_ids},
    )
    insert_select(
        ListMembership,
        {
            "lead_list_id": "(%(lists)s::int[])[1 + ((l.id * 3 + k) %% cardinality(%(lists)s::int[]))]",
            "lead_id": "l.id",
            "added_by_id": "%(manager)s",
        },
        "crm_lead AS l CROSS JOIN LATERAL generate_series(0, l.id %% 2) AS k WHERE (l.id * 13) %% 100 < 20",
        {"lists": [lead_list.pk for lead_list in lists], "manager": users["manager"].pk},
    )
    insert_select(
        Activity,
        {"lead_id": "id", "kind": "'created'", "summary": "'Created'", "created_at": "created_at"},
        "crm_lead",
    )
    insert_select(
        StageChange,
        {"lead_id": "id", "to_stage_id": "stage_id", "actor_id": "owner_id", "created_at": "updated_at"},
        "crm_lead",
    )
    insert_select(
        Task,
        {
            "lead_id": "id",
            "title": "'Follow up with ' || first_name",
            "due_at": "updated_at + (1 + id %% 30) * interval '1 day'",
            "assignee_id": "owner_id",
        },
        "crm_lead WHERE (id * 17) %% 100 < %(share)s",
        {"share": round(OPEN_TASK_SHARE * 100)},
    )
