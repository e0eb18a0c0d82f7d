"""The official working-day calendar and the counting rules for statutory time limits."""
