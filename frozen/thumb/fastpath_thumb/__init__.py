"""Inline Thumb assembler tiers (Cortex-M targets only)."""
