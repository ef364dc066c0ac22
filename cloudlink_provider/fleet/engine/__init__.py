"""The fleet's one gateway to the engine: where it is (`env`), and every `pulumi` process (`gateway`)."""
