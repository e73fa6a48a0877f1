"""Q&A: participants ask and upvote questions; moderators approve, highlight and answer."""
