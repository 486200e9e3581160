"""Contact-centre platform."""
