"""Browser journeys: real headless Chromium against a real `voting serve` process."""
