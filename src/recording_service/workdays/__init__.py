"""The official working-day calendar (with each agency's local days) and the counting rules for statutory
time limits (`counting`).

May import: `core`, `audit.service`, `catalog` (the packaged calendar).
"""
