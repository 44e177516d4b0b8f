"""Development and test tools that are not part of any service."""
