"""Many customer stacks at once: the Pulumi engine's environment, stack discovery, runs and reports.

Uses the real `pulumi` CLI built by tools/ (through the Automation API or
directly); never imports the emulator.
"""
