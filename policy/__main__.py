"""The policy pack's entry point: the engine runs it through the Python language host (RunPlugin)."""

from cloudlink_provider.policypack import serve

serve()
