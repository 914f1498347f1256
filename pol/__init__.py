"""pol: policy-as-code for subsidy policies."""

__version__ = "0.1.0"
