"""Thin views: parse input, check the role, call one selector or service, render."""
