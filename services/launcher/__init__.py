"""Composition root: starts the four services together (embedded) or prepares a deployment."""
