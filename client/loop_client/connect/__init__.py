"""``loop connect``: wire a repository's coding agents to Loop in one command.

- :mod:`.plan` detects the tools a repository uses and computes every file change;
- :mod:`.content` renders what each tool gets (MCP entry, rules, skill, instructions);
- :mod:`.edits` changes only Loop's own parts of files the user owns;
- :mod:`.files` shows the changes as a diff and writes them all-or-nothing;
- :mod:`.server` checks the URL, the key and the project before anything is written.
"""
