"""How the projector shows things: a high-contrast theme and a large-text mode.

A moderator switches them in the console while the session runs (someone in the room
cannot read the screen, the room is bright), so they are pushed to the event's open
projector screens at once, and kept on the event so a reloaded screen starts with them.
"""

from __future__ import annotations

from voting import realtime
from voting.extensions import db
from voting.models import Event

# The body classes of the display page (static/css/app.css), by option.
CLASSES = {"contrast": "display-contrast", "large_text": "display-large-text"}


def options_of(event: Event) -> dict[str, bool]:
    """Return the event's display options as the page and the push carry them."""
    return {"contrast": bool(event.display_contrast), "large_text": bool(event.display_large_text)}


def body_classes(event: Event) -> str:
    """Return the display page's body classes for the event's options ("" for none)."""
    chosen = options_of(event)
    return " ".join(cls for name, cls in CLASSES.items() if chosen[name])


def set_options(event: Event, *, contrast: bool, large_text: bool) -> dict[str, bool]:
    """Store the options and push them to the event's projector screens."""
    event.display_contrast = bool(contrast)
    event.display_large_text = bool(large_text)
    db.session.commit()
    payload = options_of(event)
    realtime.emit("display_options", payload, realtime.display_room(event.id))
    return payload
