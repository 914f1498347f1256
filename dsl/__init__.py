"""The .pol language: grammar, parser, AST and checks."""
