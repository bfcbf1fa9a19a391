"""Placebo edits: content-neutral text of comparable size at the place a cue goes.

The sentences say nothing about the answer's correctness, its authors, other people's opinions, its
form or its tone, so a judge has no reason to move because of them; they only change the text.
"""

from __future__ import annotations

NEUTRAL_SENTENCES = (
    "This text was typed in a plain editor.",
    "The paragraph above is part of the response.",
    "Line breaks in this text were kept as they were typed.",
    "This response is written in English.",
    "The text above is reproduced as it was received.",
    "The words above were typed on a keyboard.",
    "This line follows the text above.",
    "The response was saved as a text file.",
)

NEUTRAL_NOTES = (
    "Note: Response {label} was received as plain text.",
    "Note: Response {label} is reproduced above as it was received.",
    "Note: Response {label} was saved as a text file.",
    "Note: Response {label} is written in English.",
)

NEUTRAL_ATTRIBUTIONS = ("entry 7", "item 3", "submission 12", "text 5")

# The default placebo of a cue in the judge prompt's note or in a response's header (a response cue's
# is neutral text of its size at its place: ``probes._neutral_at``).
DEFAULT_PLACEBO = {
    "prompt_note": "{{ neutral_note() }}",
    "attribution": "{{ neutral_attribution() }}",
}
