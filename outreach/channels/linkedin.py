"""LinkedIn steps keep a person in the loop (LinkedIn restricts automation): the step becomes a task carrying the
note, with copy and open-profile buttons and "mark sent". With a PhantomBuster key set, a step naming a phantom
(a connect or message agent) launches it instead with the lead's profile and the note (API v2 agents/launch, as
scraping.sources.phantombuster talks to it), and the launch is recorded on the message."""

from __future__ import annotations

import requests
from django.conf import settings
from django.db import transaction

from crm.models import Activity, Lead, Task
from crm.services.timeline import activity_record
from leadflow.http import BlockedAddress, ResponseTooLarge, http_session
from outreach.channels.tasks import hand_off_done, hand_off_to_task, step_text
from outreach.models import Message, SequenceStep
from outreach.sequences import CONNECTION_NOTE_LIMIT
from scraping.sources.base import SourceFailed
from scraping.sources.phantombuster import PhantomBusterApi, answer_after_retries

PHANTOM_PREFIX = "phantom:"
TITLES = {
    SequenceStep.Kind.LINKEDIN_CONNECT: "LinkedIn: send a connection request to {name}",
    SequenceStep.Kind.LINKEDIN_MESSAGE: "LinkedIn: send a message to {name}",
}


def phantom_launch(agent_id: str, profile_url: str, note: str) -> str:
    """Launch the agent for one profile with the note; its container id. Raises SourceFailed."""
    # PhantomBuster's LinkedIn connect and message phantoms read the profile from spreadsheetUrl (a single profile
    # URL is accepted) and the text from message.
    argument = {"spreadsheetUrl": profile_url, "message": note, "numberOfAddsPerLaunch": 1}
    try:
        with http_session() as session:
            answer_after_retries(session)
            api = PhantomBusterApi(session, settings.PHANTOMBUSTER_BASE_URL, settings.PHANTOMBUSTER_API_KEY)
            return api.launch(agent_id, argument)
    except (ResponseTooLarge, BlockedAddress) as exc:
        raise SourceFailed(str(exc), retry=False) from None
    except requests.RequestException as exc:
        raise SourceFailed(f"PhantomBuster could not be reached ({type(exc).__name__}).") from None


def profile_url(lead: Lead) -> str:
    """The lead's LinkedIn profile as a link a page may show (an imported value could be any text)."""
    return lead.linkedin_url if lead.linkedin_url.startswith(("https://", "http://")) else ""


def linkedin_step_hand_off(message: Message) -> None:
    """The scheduler's hand-off of a LinkedIn step: a phantom launch when one is set up, else (or when the launch
    fails) a task for a person. The launch is a network call, made outside any transaction of ours."""
    step, lead = message.step, message.lead
    note = step_text(message)
    if step.kind == SequenceStep.Kind.LINKEDIN_CONNECT:
        note = note[:CONNECTION_NOTE_LIMIT]
    problem = ""
    if step.phantom_agent_id and settings.PHANTOMBUSTER_API_KEY and profile_url(lead):
        try:
            container_id = phantom_launch(step.phantom_agent_id, profile_url(lead), note)
        except SourceFailed as exc:
            problem = f"The phantom could not be launched: {exc} A task was made instead."
        else:
            _phantom_launched(message, note, container_id)
            return
    _linkedin_task(message, note, problem)


@transaction.atomic
def _phantom_launched(message: Message, note: str, container_id: str) -> None:
    message.body = note
    message.status = Message.Status.TASK
    message.provider_message_id = f"{PHANTOM_PREFIX}{container_id}"
    message.save(update_fields=["body", "status", "provider_message_id"])
    kind = message.step.get_kind_display()
    hand_off_done(message, actor=None, summary=f"{kind} launched through PhantomBuster (container {container_id})")


@transaction.atomic
def _linkedin_task(message: Message, note: str, problem: str) -> None:
    lead = message.lead
    title = TITLES[message.step.kind].format(name=lead.full_name or lead.email)
    hand_off_to_task(message, title=title, kind=Task.Kind.OTHER, note=note)
    if problem:
        Message.objects.filter(pk=message.pk).update(error=problem)
        activity_record(
            lead=lead, actor=None, kind=Activity.Kind.SEQUENCE, summary=problem, data={"message": message.pk}
        )
