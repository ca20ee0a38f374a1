"""Events as Slack incoming-webhook messages: {"text": ..., "blocks": [...]} in Slack's mrkdwn. Unsigned: the
secret is the Slack URL itself."""

from __future__ import annotations

import html

from crm.webhooks.events import EventType


def _escaped(text: object) -> str:
    # The three characters Slack's mrkdwn asks to be escaped.
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _lead_name(data: dict) -> str:
    lead = data.get("lead") or {}
    name = _escaped(lead.get("full_name") or "A lead")
    company = f" ({_escaped(lead['company']['name'])})" if lead.get("company") else ""
    return f"*{name}*{company}"


def event_summary(payload: dict) -> str:
    """One line in Slack's mrkdwn saying what happened."""
    data, event_type = payload.get("data") or {}, payload.get("type")
    lead = _lead_name(data)
    if event_type == EventType.LEAD_CREATED:
        return f"New lead {lead}"
    if event_type == EventType.LEAD_UPDATED:
        return f"{lead} was edited: {_escaped(', '.join(data.get('changes') or {}))}"
    if event_type == EventType.LEAD_STAGE_CHANGED:
        return f"{lead} moved from {_escaped(data.get('from_stage') or '—')} to {_escaped(data.get('to_stage'))}"
    if event_type == EventType.LEAD_REPLIED:
        return f":speech_balloon: {lead} replied by {_escaped(data.get('channel') or 'email')}"
    if event_type == EventType.LEAD_QUALIFIED:
        return f":fire: Hot lead: {lead} scored {_escaped(data.get('score'))}"
    if event_type == EventType.LEAD_UNSUBSCRIBED:
        return f"{lead} unsubscribed ({_escaped(data.get('via') or '')})"
    if event_type == EventType.IMPORT_FINISHED:
        job = data.get("import") or {}
        return (
            f"Import {_escaped(job.get('file_name'))} {_escaped(job.get('status'))}: {job.get('rows_imported', 0)}"
            f" new, {job.get('rows_updated', 0)} updated, {job.get('rows_rejected', 0)} rejected"
        )
    if event_type == EventType.ENRICHMENT_FINISHED:
        job = data.get("enrichment") or {}
        return f"Enrichment #{job.get('id')} {_escaped(job.get('status'))}: {job.get('leads', 0)} leads"
    if event_type == EventType.TEST:
        return "Test event from Leadflow: this webhook works."
    return _escaped(event_type)


def event_summary_text(payload: dict) -> str:
    """The summary as plain text, for the delivery log."""
    return html.unescape(event_summary(payload)).replace("*", "")


def _link(data: dict) -> str | None:
    for key in ("lead", "import", "enrichment"):
        if isinstance(data.get(key), dict) and data[key].get("url"):
            return data[key]["url"]
    return None


def slack_message(payload: dict) -> dict:
    """The Slack message for an event payload."""
    text = event_summary(payload)
    context = [f"`{_escaped(payload.get('type'))}`"]
    link = _link(payload.get("data") or {})
    if link:
        context.append(f"<{link}|Open in Leadflow>")
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]},
        ],
    }
