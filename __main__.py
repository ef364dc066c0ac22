"""Pulumi's entry point for every customer stack; the program lives in an importable module."""

from cloudlink_provider.program import main

main()
