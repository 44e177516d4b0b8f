"""Registry (建档立卡): households, members, surveys, identification and exit."""
