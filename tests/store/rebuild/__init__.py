"""Rebuilding the live views from the log, and proving they equal a replay."""
