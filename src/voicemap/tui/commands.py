"""The command palette (ctrl+p): every action of the app, found by fuzzy search.

The list comes from the app itself (`palette_commands`), so palette, footer bindings
and chat command words stay one set of actions.
"""

from __future__ import annotations

from textual.command import DiscoveryHit, Hit, Hits, Provider


class VoicemapCommands(Provider):
    async def discover(self) -> Hits:
        for name, help_text, callback in self.app.palette_commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self.app.palette_commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
