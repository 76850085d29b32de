"""Replica portals of the platform families, served on loopback for tests and the demo."""
