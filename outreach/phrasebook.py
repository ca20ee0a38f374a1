"""The built-in writer's phrases: for each tone, several ways to say each part of a message. A phrase is a tuple of
alternatives, the first whose facts the lead has is used (so no sentence ever needs a fact the lead lacks), and ""
leaves the part out. Which way is chosen depends on the lead, so a list does not get one identical text."""

from __future__ import annotations

Phrase = tuple[str, ...]

GREETINGS: dict[str, list[Phrase]] = {
    "friendly": [("Hi {first_name},", "Hi there,"), ("Hello {first_name},", "Hello,"), ("Hey {first_name},", "Hi,")],
    "formal": [
        ("Dear {first_name} {last_name},", "Dear {first_name},", "Hello,"),
        ("Good day {first_name},", "Hello,"),
    ],
    "direct": [("{first_name},", "Hello,"), ("Hi {first_name},", "Hi,")],
    "consultative": [("Hi {first_name},", "Hello,"), ("Hello {first_name},", "Hello,")],
}

OPENERS: dict[str, list[Phrase]] = {
    "friendly": [
        (
            "I came across your work as {title} at {company} and wanted to say hello.",
            "I came across {company} and wanted to say hello.",
            "I wanted to say hello and introduce myself.",
        ),
        (
            "I've been reading about {company} and really liked what I saw.",
            "I noticed your work as {title} and wanted to reach out.",
            "I hope you don't mind a quick note out of the blue.",
        ),
        (
            "Your role as {title} at {company} caught my eye.",
            "{company} caught my eye recently.",
            "I'm reaching out to introduce myself.",
        ),
    ],
    "formal": [
        (
            "I am writing to you in your capacity as {title} at {company}.",
            "I am writing to you regarding {company}.",
            "I am writing to introduce myself.",
        ),
        (
            "I am contacting you as {title} at {company}.",
            "I am contacting you on behalf of my team regarding {company}.",
            "Please allow me to introduce myself briefly.",
        ),
    ],
    "direct": [
        (
            "I'll keep this short, as I know {company} keeps you busy.",
            "I'll keep this short.",
            "I'll keep this short.",
        ),
        (
            "Straight to the point, since your time at {company} is valuable.",
            "Straight to the point.",
            "Straight to the point.",
        ),
        ("One question for the {title} at {company}.", "One quick question.", "One quick question."),
    ],
    "consultative": [
        (
            "I've been looking at how {industry} companies like {company} work, and I'd value your view.",
            "I've been looking at how teams like {company} work, and I'd value your view.",
            "I'd value your view on something.",
        ),
        (
            "As {title} at {company}, you likely see first-hand what works and what doesn't.",
            "You likely see first-hand what works at {company} and what doesn't.",
            "I'm trying to understand how people in your position tackle a common problem.",
        ),
    ],
}

PAINS: dict[str, list[Phrase]] = {
    "friendly": [("It sounds like {pain_point} might be on your plate.", "")],
    "formal": [("We understand that {pain_point} may be a concern for your organisation.", "")],
    "direct": [("Where does {pain_point} sit on your list right now?", "")],
    "consultative": [
        ("How are you currently handling {pain_point}?", ""),
        ("Is {pain_point} something you're weighing up?", ""),
    ],
}

PITCHES: dict[str, list[Phrase]] = {
    "friendly": [("Here's what we do: {value_proposition}", ""), ("A little about us: {value_proposition}", "")],
    "formal": [("By way of introduction: {value_proposition}", "")],
    "direct": [("What we do: {value_proposition}", "")],
    "consultative": [("For context: {value_proposition}", ""), ("Some background on us: {value_proposition}", "")],
}

PROOFS: dict[str, list[Phrase]] = {
    "friendly": [("One thing we're proud of: {proof_point}", "")],
    "formal": [("For reference: {proof_point}", "")],
    "direct": [("Proof: {proof_point}", "")],
    "consultative": [("For what it's worth: {proof_point}", "")],
}

OFFERS: dict[str, list[Phrase]] = {
    "friendly": [("If it helps, {offer}", "")],
    "formal": [("We would be glad to offer the following: {offer}", "")],
    "direct": [("The offer: {offer}", "")],
    "consultative": [("If useful, {offer}", "")],
}

ASKS: dict[str, list[Phrase]] = {
    "friendly": [
        ("Would you be up for a short chat sometime next week?",),
        ("Fancy a quick call to see if there's a fit?",),
        ("Happy to share more if you're curious.",),
    ],
    "formal": [
        ("Would you be open to a brief call at a time that suits you?",),
        ("I would welcome the opportunity to discuss this with you.",),
    ],
    "direct": [("Worth a short call?",), ("Open to a quick call this week?",), ("Interested? A yes or no is fine.",)],
    "consultative": [
        ("Would you be open to comparing notes on a short call?",),
        ("I'd be glad to hear how you approach it, if you have a few minutes.",),
    ],
}

SIGNOFFS: dict[str, list[Phrase]] = {
    "friendly": [("Cheers,\n{sender_name}", "Cheers"), ("Thanks,\n{sender_name}", "Thanks")],
    "formal": [
        ("Kind regards,\n{sender_name}", "Kind regards"),
        ("Yours sincerely,\n{sender_name}", "Yours sincerely"),
    ],
    "direct": [("Thanks,\n{sender_name}", "Thanks"), ("Best,\n{sender_name}", "Best")],
    "consultative": [("Best regards,\n{sender_name}", "Best regards"), ("Thanks,\n{sender_name}", "Thanks")],
}

SUBJECTS: dict[str, list[Phrase]] = {
    "friendly": [
        ("A note about {company}", "A quick hello"),
        ("A quick hello, {first_name}", "A quick hello"),
        ("An idea for {company}", "An idea for you"),
    ],
    "formal": [
        ("Introduction: {company}", "An introduction"),
        ("A brief introduction for {first_name} {last_name}", "A brief introduction"),
    ],
    "direct": [("Quick question, {first_name}", "Quick question"), ("{company}: a quick question", "Quick question")],
    "consultative": [
        ("Your view on {pain_point}", "Your view on something"),
        ("How {company} handles it", "A question for you"),
    ],
}
