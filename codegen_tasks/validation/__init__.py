"""Deterministic checks of generated bundles: structural, TypeScript and build levels."""
