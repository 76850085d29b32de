"""One config-like spider per portal (see crawler/platforms for the bases)."""
