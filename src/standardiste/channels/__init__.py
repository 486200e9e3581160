"""Standardiste package."""
