"""`digestgen check`: everything a build does, in memory, and what new feeds would do."""

FORMATS = ("text", "json", "github")  # how `check` prints its problems
