"""The outreach app's pages, a module per part: drafts, mailboxes and templates, sequences, tracking and
suppression."""
