"""Checks of generated code: static (structural, TypeScript), contracts, runtime."""
