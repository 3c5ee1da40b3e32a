"""The JSON API (`/api/v1`), authenticated by personal API tokens."""
