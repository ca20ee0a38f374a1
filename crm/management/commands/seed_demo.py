"""`manage.py seed_demo`: fill an empty Leadflow with a realistic, repeatable B2B demo, offline."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from crm import demo_data as demo
from crm.companies import company_find
from crm.demo_consent import demo_lawful_bases_seed
from crm.demo_data_quality import demo_duplicates_plant, demo_import_run
from crm.demo_scoring import demo_scoring_seed
from crm.models import Activity, Company, Lead, Note, SiteSettings, Stage, StageChange, Task, User
from crm.services.leads import lead_assign_owner, lead_create, lead_move_stage, lead_update
from crm.services.lists import list_add_leads, list_create
from crm.services.pipelines import pipeline_default
from crm.services.site import site_settings_apply
from crm.services.users import user_role_apply, user_set_time_zone
from crm.services.work import note_create, task_complete, task_create
from crm.signals import demo_seeding

SEED = 20240917
HISTORY_DAYS = 60
# Share of leads per open stage, in pipeline order (more in early stages); later extra stages get the last weight.
OPEN_STAGE_WEIGHTS = [30, 24, 15, 10, 8, 5]
WON_WEIGHT, LOST_WEIGHT = 5, 4
# Leads in the first two open stages have not answered yet: they are contacts, the rest are leads.
CONTACT_STAGES = 2
# Grade odds (hot, warm, cold) for contacts, leads in the middle of the pipeline, late-stage leads and lost ones.
GRADE_ODDS = {"early": (15, 35, 50), "middle": (35, 45, 20), "late": (60, 35, 5), "lost": (10, 30, 60)}
SCORE_RANGE = {"hot": (70, 100), "warm": (40, 69), "cold": (0, 39)}


@dataclass
class Person:
    """One generated lead before it is saved, with the facts later steps pick from."""

    fields: dict
    company: demo.CompanySeed
    stage: Stage
    path: list[Stage]  # stages it moves through after being created, in order
    owner: User | None
    tags: list[str]
    decision_maker: bool
    lead: Lead | None = None
    born: datetime | None = None


@dataclass
class Seeder:
    """Writes the demo through the CRM services, remembering when each thing should have happened."""

    now: datetime
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    # (what, ids...) -> when it happened; applied to the timeline rows at the end.
    when: dict[tuple, datetime] = field(default_factory=dict)
    last_touch: dict[int, datetime] = field(default_factory=dict)
    tasks_by_due: Counter = field(default_factory=Counter)

    def at(self, key: tuple, lead: Lead, moment: datetime) -> None:
        self.when[key] = moment
        self.last_touch[lead.pk] = max(moment, self.last_touch.get(lead.pk, moment))

    def moment_between(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.rng.random()

    # Users -----------------------------------------------------------------------------------------------------

    @staticmethod
    def users_ensure() -> tuple[dict[str, User], list[str]]:
        """The four demo staff accounts, created with their roles if missing; existing ones are left alone."""
        users, created = {}, []
        for email, first_name, last_name, role in demo.DEMO_USERS:
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user = User.objects.create_user(
                    email=email, password=demo.DEMO_PASSWORD, first_name=first_name, last_name=last_name
                )
                user_role_apply(user, role)
                user_set_time_zone(user=user, time_zone=demo.DEMO_TIME_ZONES.get(email, ""), actor=user)
                created.append(email)
            users[first_name.lower()] = user
        return users, created

    # Companies and people ------------------------------------------------------------------------------------

    def companies_create(self) -> dict[str, Company]:
        """The demo's companies; one the database already has (by the company rule, crm.companies) is used as it is."""
        companies = {}
        for seed in demo.COMPANIES:
            city = demo.CITIES[seed.city]
            companies[seed.domain] = company_find(name=seed.name, domain=seed.domain) or Company.objects.create(
                name=seed.name,
                domain=seed.domain,
                website=f"https://www.{seed.domain}",
                industry=seed.industry,
                size=seed.size,
                location=city.location,
                phone=demo.phone_from_pattern(self.rng, city.office_phone),
                linkedin_url=f"https://www.linkedin.com/company/{demo.ascii_slug(seed.name, '-')}",
                description=seed.description,
            )
        return companies

    def stage_plan(self, count: int, stages: list[Stage]) -> list[tuple[Stage, list[Stage]]]:
        """Final stage and the path to it for `count` leads, shuffled, with exact per-stage counts."""
        open_stages = [stage for stage in stages if stage.kind == Stage.Kind.OPEN]
        won = next((stage for stage in stages if stage.kind == Stage.Kind.WON), None)
        lost = next((stage for stage in stages if stage.kind == Stage.Kind.LOST), None)
        weights = [OPEN_STAGE_WEIGHTS[min(i, len(OPEN_STAGE_WEIGHTS) - 1)] for i in range(len(open_stages))]
        targets = list(open_stages)
        for stage, weight in ((won, WON_WEIGHT), (lost, LOST_WEIGHT)):
            if stage is not None:
                targets.append(stage)
                weights.append(weight)
        # Largest remainder, so the counts add up to exactly `count`.
        shares = [count * weight / sum(weights) for weight in weights]
        counts = [int(share) for share in shares]
        by_remainder = sorted(range(len(shares)), key=lambda i: shares[i] - counts[i], reverse=True)
        for i in by_remainder[: count - sum(counts)]:
            counts[i] += 1
        plan = []
        for stage, n in zip(targets, counts, strict=True):
            for _ in range(n):
                if stage.kind == Stage.Kind.OPEN:
                    path = open_stages[1 : open_stages.index(stage) + 1]
                elif stage.kind == Stage.Kind.WON:
                    path = [*open_stages[1:], stage]
                else:
                    # Lost deals got at least as far as a reply before they fell through.
                    last_open = self.rng.randrange(min(CONTACT_STAGES, len(open_stages) - 1), len(open_stages))
                    path = [*open_stages[1 : last_open + 1], stage]
                plan.append((stage, path))
        self.rng.shuffle(plan)
        return plan

    def person_name(self, seed: demo.CompanySeed, taken: set[str]) -> tuple[str, str]:
        for _ in range(50):
            pool = seed.names
            if self.rng.random() < demo.FOREIGN_NAME_SHARE:
                pool = self.rng.choice([name for name in demo.FIRST_NAMES if name != seed.names])
            first = self.rng.choice(demo.FIRST_NAMES[pool])
            last = self.rng.choice(demo.LAST_NAMES[pool])
            if f"{first} {last}" not in taken:
                taken.add(f"{first} {last}")
                return first, last
        raise CommandError(f"Ran out of distinct names for {seed.name}.")

    def grade_and_score(self, stage: Stage, index: int, open_count: int) -> tuple[str, int]:
        if stage.kind == Stage.Kind.LOST:
            band = "lost"
        elif index < CONTACT_STAGES:
            band = "early"
        elif stage.kind == Stage.Kind.WON or index >= open_count - 2:
            band = "late"
        else:
            band = "middle"
        grade = self.rng.choices(["hot", "warm", "cold"], weights=GRADE_ODDS[band])[0]
        return grade, self.rng.randint(*SCORE_RANGE[grade])

    def people_plan(self, stages: list[Stage], users: dict[str, User]) -> list[Person]:
        open_stages = [stage for stage in stages if stage.kind == Stage.Kind.OPEN]
        drafts = []
        for seed in demo.COMPANIES:
            taken: set[str] = set()
            for _ in range(self.rng.randint(*demo.PEOPLE_PER_SIZE[seed.size])):
                drafts.append((seed, *self.person_name(seed, taken)))
        plan = self.stage_plan(len(drafts), stages)
        people = []
        for (seed, first, last), (stage, path) in zip(drafts, plan, strict=True):
            index = open_stages.index(stage) if stage in open_stages else len(open_stages)
            city = demo.CITIES[seed.city]
            if self.rng.random() < 0.2 and city.country in demo.REMOTE_CITIES:
                city = demo.CITIES[self.rng.choice(demo.REMOTE_CITIES[city.country])]
            titles = demo.TITLES + (demo.GERMAN_TITLES if seed.names == "de" else [])
            title, _, decision_maker = self.rng.choices(titles, weights=[t[1] for t in titles])[0]
            grade, score = self.grade_and_score(stage, index, len(open_stages))
            source = self.rng.choices(demo.SOURCES, weights=demo.SOURCE_WEIGHTS)[0]
            phone = ""
            if self.rng.random() < 0.75:
                pattern = city.mobile_phone if city.mobile_phone and self.rng.random() < 0.6 else city.office_phone
                phone = demo.phone_from_pattern(self.rng, pattern)
            deal_value = None
            if index > CONTACT_STAGES:  # past Replied
                low, high = demo.DEAL_RANGE_PER_SIZE[seed.size]
                deal_value = Decimal(round(self.rng.randint(low, high) / 500) * 500)
            # Fresh contacts are often still in the shared pool; anything that replied has an owner.
            if index < CONTACT_STAGES and self.rng.random() < 0.3:
                owner = None
            else:
                owner = self.rng.choices([users["alice"], users["bob"], users["mia"]], weights=[40, 35, 25])[0]
            tags = []
            if seed.industry in demo.INDUSTRY_TAGS:
                tags.append(demo.INDUSTRY_TAGS[seed.industry])
            if decision_maker:
                tags.append("decision-maker")
            if source in {"website", "meta_ads", "referral"}:
                tags.append("inbound")
            if seed.size == "1001-5000":
                tags.append("enterprise")
            elif seed.size == "11-50":
                tags.append("smb")
            fields = {
                "first_name": first,
                "last_name": last,
                "title": title,
                "email": f"{demo.ascii_slug(first, '')}.{demo.ascii_slug(last, '')}@{seed.domain}",
                "phone": phone,
                "linkedin_url": "https://www.linkedin.com/in/"
                f"{demo.ascii_slug(f'{first} {last}', '-')}-{self.rng.randrange(16**7):07x}",
                "website": f"https://www.{seed.domain}",
                "location": city.location,
                "time_zone": city.time_zone,
                "source": source,
                "lifecycle": Lead.Lifecycle.CONTACT if index < CONTACT_STAGES else Lead.Lifecycle.LEAD,
                "grade": grade,
                "score": score,
                "deal_value": deal_value,
                "do_not_contact": self.rng.random() < (0.15 if stage.kind == Stage.Kind.LOST else 0.03),
            }
            people.append(Person(fields, seed, stage, path, owner, tags, decision_maker))
        return people

    # Leads and their history ---------------------------------------------------------------------------------

    def leads_create(self, people: list[Person], companies: dict[str, Company], stages: list[Stage], mia: User) -> None:
        first_stage = next(stage for stage in stages if stage.kind == Stage.Kind.OPEN)
        for person in people:
            moves = len(person.path)
            # Leads further down the pipeline have been around longer.
            age = timedelta(days=self.rng.uniform(min(1 + 4 * moves, 40), HISTORY_DAYS))
            born = self.now - age
            person.born = born
            owner = person.owner
            captured = person.fields["source"] in demo.CAPTURED_SOURCES
            lead = lead_create(
                actor=None if captured else owner or mia,
                stage=first_stage,
                tags=", ".join(person.tags),
                company=companies[person.company.domain],
                owner=None if captured else owner,
                created_at=born,
                **person.fields,
            )
            person.lead = lead
            self.at(("created", lead.pk), lead, born)
            if captured and owner is not None:
                lead_assign_owner(lead=lead, owner=owner, actor=mia)
                self.at(("owner", lead.pk), lead, born + timedelta(minutes=self.rng.randint(5, 240)))
            moments = sorted(
                self.moment_between(born + timedelta(hours=2), self.now - timedelta(hours=1)) for _ in range(moves)
            )
            for stage, moment in zip(person.path, moments, strict=True):
                # Picked by id, not by self.rng, so the rest of the demo stays as it was.
                reasons = demo.LOST_REASONS
                lost_reason = reasons[lead.pk % len(reasons)] if stage.kind == Stage.Kind.LOST else ""
                lead_move_stage(lead=lead, stage=stage, actor=owner or mia, lost_reason=lost_reason)
                self.at(("stage", lead.pk, stage.pk), lead, moment)

    def notes_create(self, people: list[Person], mia: User) -> int:
        count = 0
        for person in people:
            chance = 0.15 if not person.path else 0.45
            if self.rng.random() >= chance:
                continue
            # Distinct notes: nobody writes the same note twice on one lead.
            for body, tags in self.rng.sample(demo.NOTES, self.rng.choices([1, 2, 3], weights=[70, 22, 8])[0]):
                note = note_create(
                    lead=person.lead,
                    actor=person.owner or mia,
                    body=body.format(first=person.fields["first_name"], company=person.company.name),
                    tags=tags,
                )
                self.at(("note", note.pk), person.lead, self.moment_between(person.born, self.now))
                count += 1
        return count

    def promotions_create(self, people: list[Person], mia: User) -> int:
        """Some people further down the pipeline got a new job title: their timelines say from what to what. (Every
        fourth, not drawn from the seeder's dice, so that the rest of the demo stays as it was.)"""
        titles = [title for title, _weight, _decides in demo.TITLES]
        promoted = [person for person in people if len(person.path) >= 2][::4]
        for index, person in enumerate(promoted):
            lead = Lead.objects.get(pk=person.lead.pk)  # as the stage moves left it
            title = next(title for title in titles[index % len(titles) :] + titles if title != lead.title)
            lead_update(lead=lead, actor=person.owner or mia, title=title)
            self.at(("updated", lead.pk), lead, person.born + (self.now - person.born) / 2)
        return len(promoted)

    def task_add(self, person: Person, actor: User, due: str) -> Task:
        """One task on a lead, due "overdue", "today", "upcoming" or already "done"."""
        # Midnight in the site's time zone, as the dashboard's "due today" counts it.
        end_of_today = timezone.make_aware(datetime.combine(timezone.localdate(self.now), time.min)) + timedelta(days=1)
        lead = person.lead
        if due == "today":
            # Later today, but never past midnight (local time), so it shows under "today".
            room = end_of_today - self.now
            due_at = self.now + min(timedelta(minutes=self.rng.randint(30, 360)), room / 2)
        elif due == "upcoming":
            due_at = end_of_today + timedelta(days=self.rng.randint(0, 13), hours=self.rng.randint(8, 17))
        else:  # overdue or done: due some time in the past, after the lead appeared
            earliest = max(person.born + timedelta(hours=2), self.now - timedelta(days=10))
            due_at = self.moment_between(earliest, self.now - timedelta(minutes=30))
            due_at = due_at.replace(minute=due_at.minute // 15 * 15, second=0, microsecond=0)
        kind, title = self.rng.choice(demo.TASKS)
        task = task_create(
            lead=lead,
            actor=actor,
            title=title.format(first=person.fields["first_name"], company=person.company.name),
            kind=kind,
            due_at=due_at,
            assignee=actor,
        )
        created = self.moment_between(person.born, min(due_at, self.now) - timedelta(minutes=10))
        self.at(("task", task.pk), lead, max(created, person.born))
        if due == "done":
            task_complete(task=task, actor=actor)
            self.at(("task_done", task.pk), lead, self.moment_between(min(due_at, self.now), self.now))
        self.tasks_by_due[due] += 1
        return task

    def tasks_create(self, people: list[Person], users: dict[str, User], admin: User | None) -> None:
        open_people = [p for p in people if p.stage.kind == Stage.Kind.OPEN and p.owner is not None]
        for person in open_people:
            if self.rng.random() < 0.3:
                due = self.rng.choices(["overdue", "today", "upcoming", "done"], weights=[20, 12, 38, 30])[0]
                self.task_add(person, person.owner, due)
        # Alice's dashboard always shows every kind of task when she signs in for the demo.
        alices = [p for p in open_people if p.owner == users["alice"]]
        for person, due in zip(alices, ["today"] * 3 + ["overdue"] * 2 + ["upcoming"] * 2 + ["done"] * 2, strict=False):
            self.task_add(person, users["alice"], due)
        if admin is not None:
            # A separate random stream, so the rest of the demo is the same with or without an admin.
            main_rng, self.rng = self.rng, random.Random(f"{SEED}-admin")
            dues = ["today", "today", "overdue", "upcoming", "done"]
            for person, due in zip(self.rng.sample(open_people, len(dues)), dues, strict=True):
                self.task_add(person, admin, due)
            self.rng = main_rng

    def lists_create(self, people: list[Person], users: dict[str, User]) -> int:
        mia = users["mia"]
        open_people = [p for p in people if p.stage.kind == Stage.Kind.OPEN]
        members = {
            "Q3 webinar attendees": self.rng.sample(
                [p for p in people if p.fields["source"] in {"website", "meta_ads", "linkedin"}], 40
            ),
            "London Sales Summit booth scans": self.rng.sample(
                [p for p in people if p.company.city in {"london", "leeds", "manchester", "bristol"}], 25
            ),
            "Fintech decision makers": [
                p for p in people if p.decision_maker and p.company.industry in {"Fintech", "Financial Services"}
            ],
            "DACH expansion targets": [p for p in people if demo.CITIES[p.company.city].country == "Germany"],
            "Hot accounts - Q4 push": [p for p in open_people if p.fields["grade"] == "hot" and p.owner][:30],
        }
        for name, folder, description, tags in demo.LISTS:
            owner = users[demo.LIST_OWNERS.get(name, "mia")]
            lead_list = list_create(actor=owner, name=name, folder=folder, description=description, tags=tags)
            chosen = members[name]
            list_add_leads(lead_list=lead_list, leads=[p.lead for p in chosen], actor=mia)
            for person in chosen:
                added = self.moment_between(max(person.born, self.now - timedelta(days=30)), self.now)
                self.at(("list", person.lead.pk, lead_list.pk), person.lead, added)
        return len(demo.LISTS)

    def timeline_backdate(self, lead_ids: list[int]) -> None:
        """Spread the timeline over the last weeks: the services stamped everything with "now"."""
        activity_keys = {
            Activity.Kind.CREATED: lambda a: ("created", a.lead_id),
            Activity.Kind.OWNER: lambda a: ("owner", a.lead_id),
            Activity.Kind.UPDATED: lambda a: ("updated", a.lead_id),
            Activity.Kind.STAGE: lambda a: ("stage", a.lead_id, a.data.get("to")),
            Activity.Kind.NOTE: lambda a: ("note", a.data.get("note")),
            Activity.Kind.TASK: lambda a: ("task", a.data.get("task")),
            Activity.Kind.TASK_DONE: lambda a: ("task_done", a.data.get("task")),
            Activity.Kind.LIST: lambda a: ("list", a.lead_id, a.data.get("list")),
        }
        activities = []
        for activity in Activity.objects.filter(lead_id__in=lead_ids).only("lead", "kind", "data"):
            key_of = activity_keys.get(activity.kind)
            key = key_of(activity) if key_of else None
            if key in self.when:
                activities.append((activity.pk, self.when[key]))
        timestamps_set(Activity, ["created_at"], activities)

        changes = []
        for change in StageChange.objects.filter(lead_id__in=lead_ids).only("lead", "from_stage", "to_stage"):
            if change.from_stage_id is None:
                changes.append((change.pk, self.when[("created", change.lead_id)]))
            else:
                changes.append((change.pk, self.when[("stage", change.lead_id, change.to_stage_id)]))
        timestamps_set(StageChange, ["created_at"], changes)

        notes = [(key[1], moment) for key, moment in self.when.items() if key[0] == "note"]
        timestamps_set(Note, ["created_at"], notes)
        tasks = [
            (key[1], moment, self.when.get(("task_done", key[1])))
            for key, moment in self.when.items()
            if key[0] == "task"
        ]
        timestamps_set(Task, ["created_at", "done_at"], tasks)
        # Written directly, so auto_now leaves it alone and it says when the lead was last touched.
        timestamps_set(Lead, ["updated_at"], list(self.last_touch.items()))


def timestamps_set(model: type[Model], fields: list[str], rows: list[tuple]) -> None:
    """Set datetime fields on many rows given as (pk, value, ...), in one executemany.

    bulk_update's CASE WHEN per row takes most of the seed's time at this size; this takes milliseconds.
    """
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(model._meta.get_field(name).column)} = %s" for name in fields)
    # Table and column names come from the model's own metadata, never from input.
    sql = f"UPDATE {quote(model._meta.db_table)} SET {columns} WHERE {quote(model._meta.pk.column)} = %s"  # noqa: S608
    params = [[connection.ops.adapt_datetimefield_value(value) for value in values] + [pk] for pk, *values in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def demo_present() -> int:
    """How many demo companies are already in the database (the demo's fingerprint)."""
    return Company.objects.filter(domain__in=[seed.domain for seed in demo.COMPANIES]).count()


class Command(BaseCommand):
    help = "Fill the database with a realistic, repeatable B2B demo (companies, leads, history, tasks, lists)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="seed even though DEBUG is off (the demo accounts share a published password)",
        )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError(
                "seed_demo creates accounts whose password is published in the README, so it runs only with "
                "DEBUG on; pass --allow-without-debug if this really is a demo server."
            )
        try:
            with transaction.atomic():
                users, created_users = Seeder.users_ensure()
                if demo_present():
                    self.already_there(created_users)
                else:
                    self.seed(users, created_users)
        except PermissionDenied as exc:
            raise CommandError(f"A demo account has lost the role the demo needs ({exc}); fix it and rerun.") from exc
        self.logins_print()

    def already_there(self, created_users: list[str]) -> None:
        leads = Lead.objects.filter(company__domain__in=[seed.domain for seed in demo.COMPANIES]).count()
        self.stdout.write(f"The demo is already there ({demo_present()} companies, {leads} leads); nothing added.")
        if created_users:
            self.stdout.write(f"Recreated missing demo accounts: {', '.join(created_users)}")

    def seed(self, users: dict[str, User], created_users: list[str]) -> None:
        seeder = Seeder(now=timezone.now())
        stages = list(pipeline_default().stages.all())
        admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if not SiteSettings.objects.exists():
            site_settings_apply(currency=demo.DEMO_CURRENCY, time_zone=settings.TIME_ZONE)
        companies = seeder.companies_create()
        people = seeder.people_plan(stages, users)
        seeder.leads_create(people, companies, stages, users["mia"])
        notes = seeder.notes_create(people, users["mia"])
        promotions = seeder.promotions_create(people, users["mia"])
        seeder.tasks_create(people, users, admin)
        lists = seeder.lists_create(people, users)
        bases = demo_lawful_bases_seed([person.lead.pk for person in people], seed=str(SEED))
        seeder.timeline_backdate([person.lead.pk for person in people])
        imported = demo_import_run(users["mia"], seeder.rng)
        pairs = demo_duplicates_plant(users["mia"])
        replies = demo_seeding.send(sender=Lead, manager=users["mia"], rng=seeder.rng)
        others = [line for _receiver, lines in replies for line in lines or []]
        # Scored last, once every app has added its part (enrichment's verified addresses count).
        others += demo_scoring_seed(manager=users["mia"], rng=seeder.rng, now=seeder.now)

        by_stage = Counter(person.stage.pk for person in people)
        stage_counts = ", ".join(f"{stage.name} {by_stage[stage.pk]}" for stage in stages)
        self.stdout.write(self.style.SUCCESS("Seeded the demo:"))
        if created_users:
            self.stdout.write(f"  demo accounts: {', '.join(created_users)}")
        self.stdout.write(f"  {len(companies)} companies, {len(people)} leads ({stage_counts})")
        dues = seeder.tasks_by_due
        self.stdout.write(
            f"  {notes} notes, {dues.total()} tasks ({dues['overdue']} overdue, {dues['today']} due today, "
            f"{dues['upcoming']} upcoming, {dues['done']} done{', some for the admin' if admin else ''}), "
            f"{lists} lists, {promotions} new job titles"
        )
        self.stdout.write(
            f"  an import of {imported.original_name}: {imported.rows_imported} imported, "
            f"{imported.rows_updated} filled in, {imported.rows_rejected} rejected (see Imports)"
        )
        self.stdout.write(f"  {pairs} suspected duplicate pairs to review (see Duplicates)")
        self.stdout.write(bases)
        for line in others:
            self.stdout.write(f"  {line}")

    def logins_print(self) -> None:
        self.stdout.write(
            f'Demo logins, all with the password "{demo.DEMO_PASSWORD}" (demo only, never in production):'
        )
        for email, _, _, role in demo.DEMO_USERS:
            self.stdout.write(f"  {email:<22} {role.value}")
