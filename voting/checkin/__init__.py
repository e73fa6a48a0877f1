"""Check-in at the door, printable badges and the live counts for the event's staff."""
