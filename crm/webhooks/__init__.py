"""Outgoing webhooks: events published by the actions that cause them (publish.py), sent signed to subscribed URLs
with retries (deliver.py), or as Slack messages (slack.py); subscriptions are managed in subscriptions.py."""
