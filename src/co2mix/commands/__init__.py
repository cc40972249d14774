"""Commands that write a project's files (no stage imports them: editing one re-runs nothing)."""
