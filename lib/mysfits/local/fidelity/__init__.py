"""Fixes where moto lacks or misstates an AWS behaviour the workshop relies on.

Each module names the AWS behaviour it restores; tests under tests/ prove it.
"""
