"""`pol` subcommands that live in modules of their own (see `pol.cli.COMMAND_MODULES`)."""
