"""A large CRM for the benchmarks: seeded quickly with bulk inserts, or found again in a database seeded before.

`seed(N)` fills an empty, migrated database with N leads (about N/10 companies, owners spread over an admin, a
manager and three reps with some unassigned, every stage of the default pipeline, tags, list memberships, deal values,
scores, sources, one "created" activity and the stage change into its stage per lead, an open task for about a third)
and gives one rep-owned lead a long history (100 activities, 20 notes, 10 tasks). `world_find()` gives the same ids
from a database `seed` filled earlier, so a bench can run again on it without seeding a million leads anew.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from company_words import NAME_NOUNS, NAME_PARTS, NAME_SUFFIXES

# fmt: off
INDUSTRIES = [
    "Software", "Fintech", "Logistics & Supply Chain", "Healthcare", "Industrial Manufacturing", "Retail",
    "Financial Services", "Media",
]
SIZES = ["11-50", "51-200", "201-500", "501-1000", "1001-5000"]
TAGS = [
    "fintech", "saas", "logistics", "healthcare", "manufacturing", "priority", "event", "referral", "webinar", "dach",
    "q3", "champion",
]
LISTS = [
    "Q3 webinar attendees", "London Sales Summit booth scans", "Fintech decision makers", "DACH expansion targets",
    "Hot accounts - Q4 push", "Re-engage in January", "Partner referrals", "Old",
]
# fmt: on
# Share of leads per stage of the default pipeline, in order (New ... Won, Lost).
STAGE_WEIGHTS = [30, 24, 15, 10, 8, 5, 5, 4]
# (persona, email, first name, last name, role, share of leads owned); the rest are unassigned.
USERS = [
    ("admin", "ada@bench.leadflow", "Ada", "Lovelace", "Admin", 6),
    ("manager", "mia@bench.leadflow", "Mia", "Thompson", "Manager", 10),
    ("rep", "alice@bench.leadflow", "Alice", "Chen", "Rep", 22),
    ("rep2", "bob@bench.leadflow", "Bob", "Okafor", "Rep", 22),
    ("rep3", "carlos@bench.leadflow", "Carlos", "Ruiz", "Rep", 22),
]
UNASSIGNED_SHARE = 18
# Share of leads with an open task (a board card shows the next one).
OPEN_TASK_SHARE = 0.3
BATCH = 2000
# The lead page's lead: a rep's lead with a long history, and a last name the search looks for.
PAGE_LEAD_NAME = ("Megan", "Fraser")


def seed(lead_count: int, *, maintenance: bool = True) -> dict:
    """Fill the empty database quickly with bulk inserts; returns the ids the measured URLs need."""
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from crm import demo_data as demo
    from crm.models import Activity, Company, Lead, LeadList, ListMembership, Note, StageChange, Tag, Task, User
    from crm.services.pipelines import pipeline_default

    rng = random.Random(20240917)
    now = timezone.now()
    stages = list(pipeline_default().stages.all())
    weights = STAGE_WEIGHTS + [STAGE_WEIGHTS[-1]] * (len(stages) - len(STAGE_WEIGHTS))
    weights = weights[: len(stages)]
    name_pools = list(demo.FIRST_NAMES)
    pool_weights = [60, 20, 10, 5, 5]
    titles = [title for title, _, _ in demo.TITLES]
    title_weights = [weight for _, weight, _ in demo.TITLES]

    with transaction.atomic():
        users = {}
        for persona, email, first, last, role, _ in USERS:
            user = User.objects.create_user(email=email, first_name=first, last_name=last)
            if role == "Admin":
                user.is_superuser = user.is_staff = True
                user.save()
            elif role == "Manager":
                user.is_staff = True
                user.save()
            user.groups.add(Group.objects.get(name=role))
            users[persona] = user
        owners = [*users.values(), None]
        owner_weights = [share for *_, share in USERS] + [UNASSIGNED_SHARE]

        tags = Tag.objects.bulk_create([Tag(name=name) for name in TAGS])
        lists = LeadList.objects.bulk_create(
            [LeadList(name=name, folder="Bench", created_by=users["manager"]) for name in LISTS]
        )
        companies = []
        company_count = max(lead_count // 10, 1)
        for start in range(0, company_count, BATCH):
            batch = []
            for index in range(start, min(start + BATCH, company_count)):
                name = f"{rng.choice(NAME_PARTS)} {rng.choice(NAME_NOUNS)} {rng.choice(NAME_SUFFIXES)}".strip()
                batch.append(
                    Company(
                        name=name,
                        domain=f"{demo.ascii_slug(name, '')[:40]}{index}.example",
                        industry=rng.choice(INDUSTRIES),
                        size=rng.choice(SIZES),
                        location=rng.choice(list(demo.CITIES.values())).location,
                    )
                )
            companies += Company.objects.bulk_create(batch)

        # bulk_create would stamp every row with "now"; a real table has a year of different update times.
        updated_at = Lead._meta.get_field("updated_at")
        updated_at.auto_now = False
        try:
            page_lead = None
            for start in range(0, lead_count, BATCH):
                batch = []
                for _ in range(start, min(start + BATCH, lead_count)):
                    pool = rng.choices(name_pools, pool_weights)[0]
                    first, last = rng.choice(demo.FIRST_NAMES[pool]), rng.choice(demo.LAST_NAMES[pool])
                    company = rng.choice(companies) if rng.random() < 0.9 else None
                    stage_index = rng.choices(range(len(stages)), weights)[0]
                    grade = rng.choices(["hot", "warm", "cold", ""], [20, 35, 35, 10])[0]
                    score = {"hot": (70, 100), "warm": (40, 69), "cold": (0, 39), "": (0, 0)}[grade]
                    created = now - timedelta(days=rng.uniform(0, 540))
                    domain = company.domain if company else "mail.example"
                    batch.append(
                        Lead(
                            first_name=first,
                            last_name=last,
                            title=rng.choices(titles, title_weights)[0],
                            email=f"{demo.ascii_slug(f'{first} {last}')}.{rng.randrange(10_000)}@{domain}",
                            company=company,
                            location=company.location if company else "",
                            source=rng.choices(demo.SOURCES, demo.SOURCE_WEIGHTS)[0],
                            lifecycle="contact" if stage_index < 2 else "lead",
                            stage=stages[stage_index],
                            owner=rng.choices(owners, owner_weights)[0],
                            deal_value=Decimal(rng.randrange(4_000, 260_000)) if rng.random() < 0.7 else None,
                            score=rng.randint(*score),
                            grade=grade,
                            created_at=created,
                            updated_at=created + (now - created) * rng.random() ** 2,
                        )
                    )
                if page_lead is None:
                    page_lead = batch[0]
                    page_lead.first_name, page_lead.last_name = PAGE_LEAD_NAME
                    page_lead.owner, page_lead.stage, page_lead.updated_at = users["rep"], stages[3], now
                    page_lead.company = page_lead.company or companies[0]
                leads = Lead.objects.bulk_create(batch)
                Lead.tags.through.objects.bulk_create(
                    [
                        Lead.tags.through(lead_id=lead.pk, tag_id=tag.pk)
                        for lead in leads
                        if rng.random() < 0.35
                        for tag in rng.sample(tags, rng.randint(1, 3))
                    ]
                )
                ListMembership.objects.bulk_create(
                    [
                        ListMembership(lead_list=lead_list, lead=lead, added_by=users["manager"])
                        for lead in leads
                        if rng.random() < 0.2
                        for lead_list in rng.sample(lists, rng.randint(1, 2))
                    ]
                )
                Activity.objects.bulk_create(
                    [
                        Activity(lead=lead, kind="created", summary="Created", created_at=lead.created_at)
                        for lead in leads
                    ]
                )
                # What the board's cards show beyond the lead: when it entered its stage, and its next open task.
                StageChange.objects.bulk_create(
                    [
                        StageChange(lead=lead, to_stage=lead.stage, actor=lead.owner, created_at=lead.updated_at)
                        for lead in leads
                    ]
                )
                Task.objects.bulk_create(
                    [
                        Task(
                            lead=lead,
                            title=f"Follow up with {lead.first_name}",
                            due_at=lead.updated_at + timedelta(days=rng.randint(1, 30)),
                            assignee=lead.owner,
                        )
                        for lead in leads
                        if rng.random() < OPEN_TASK_SHARE
                    ]
                )
        finally:
            updated_at.auto_now = True

        history_start = page_lead.created_at
        span = now - history_start
        notes = Note.objects.bulk_create(
            [
                Note(
                    lead=page_lead,
                    author=users["rep"],
                    body=rng.choice(demo.NOTES)[0].format(first=page_lead.first_name, company=page_lead.company),
                    created_at=history_start + span * (index + 1) / 21,
                )
                for index in range(20)
            ]
        )
        Note.tags.through.objects.bulk_create(
            [Note.tags.through(note_id=note.pk, tag_id=tag.pk) for note in notes for tag in rng.sample(tags, 2)]
        )
        activities = [
            Activity(
                lead=page_lead,
                actor=users["rep"],
                kind="note",
                summary=f"Note: {note.body[:120]}",
                data={"note": note.pk},
                created_at=note.created_at,
            )
            for note in notes
        ]
        kinds = ["updated", "stage", "owner", "task", "task_done", "list"]
        activities += [
            Activity(
                lead=page_lead,
                actor=rng.choice([users["rep"], users["manager"], None]),
                kind=rng.choice(kinds),
                summary=f"Bench event {index}",
                created_at=history_start + span * rng.random(),
            )
            for index in range(100 - len(activities))
        ]
        Activity.objects.bulk_create(activities)
        Task.objects.bulk_create(
            [
                Task(
                    lead=page_lead,
                    kind=kind,
                    title=title.format(first=page_lead.first_name, company=page_lead.company),
                    due_at=now + timedelta(days=index - 4),
                    assignee=users["rep"],
                    created_by=users["rep"],
                    done=index < 4,
                    done_at=now - timedelta(days=1) if index < 4 else None,
                )
                for index, (kind, title) in enumerate(demo.TASKS + demo.TASKS[:2])
            ]
        )

    if connection.vendor == "postgresql":
        # A live server's autovacuum would have vacuumed these freshly inserted tables long ago.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
    if maintenance:
        from leadflow.maintenance import database_optimize

        database_optimize()
    return {
        "users": {persona: user.pk for persona, user in users.items()},
        "page_lead": page_lead.pk,
        "search": page_lead.last_name,
        "stage": stages[1].pk,
    }


def world_find() -> dict | None:
    """The ids `seed` returned, read back from a database it filled earlier (None when it holds no bench world)."""
    from crm.models import Lead, User
    from crm.services.pipelines import pipeline_default

    users = {user.email: user.pk for user in User.objects.filter(email__in=[email for _, email, *_ in USERS])}
    if len(users) != len(USERS):
        return None
    by_persona = {persona: users[email] for persona, email, *_ in USERS}
    # The first lead seeded, renamed for the lead page and search; later leads may share its name by chance.
    page_lead = (
        Lead.objects.filter(first_name=PAGE_LEAD_NAME[0], last_name=PAGE_LEAD_NAME[1], owner_id=by_persona["rep"])
        .order_by("pk")
        .first()
    )
    if page_lead is None:
        return None
    stages = list(pipeline_default().stages.all())
    return {"users": by_persona, "page_lead": page_lead.pk, "search": page_lead.last_name, "stage": stages[1].pk}
