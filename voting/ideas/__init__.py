"""The ideas board: participants propose and upvote themes, moderators curate and promote."""
