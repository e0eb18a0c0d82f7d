"""Enforcement statistics (执法数据统计分析) and the annual 行政执法统计年报, read from stored figures kept
current as cases and footage change (never by assembling every timeline on request)."""
