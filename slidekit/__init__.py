"""Slide builder used by build_slides.py."""
