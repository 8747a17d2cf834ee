"""Tier A tables: the audited query log and differential-privacy budget spending."""
