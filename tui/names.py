"""Who is who, as an officer reads it: names from the signed directory, never raw ids.

An authority is "Switzerland · Federal Office of Justice" (its State alone where room is
short), an officer "display name · State", a bot "bot · State"; the officer using the
client is "you". Raw ids (user ids, servers, authority ids) appear only in the details
view of an event. Someone the directory does not list keeps the id the homeserver gives:
there is no other name to show, and inventing one would mislead.
"""

from __future__ import annotations

from tui.directory import Directory
from tui.i18n import text


class Names:
    def __init__(self, directory: Directory, own_user: str) -> None:
        self.directory = directory
        self.own_user = own_user
        # Asked for every drawn entry and list row: kept per (id, language or form).
        self._people: dict[tuple[str, str], str] = {}
        self._authorities: dict[tuple[str, bool], str] = {}

    def state(self, authority_id: str) -> str:
        """The State of an authority (its id when the directory does not list it)."""
        party = self.directory.get(authority_id)
        return party.state if party is not None and party.state else authority_id

    def authority(self, authority_id: str, short: bool = False) -> str:
        """``State · authority name`` (``short``: the State alone), in logical order."""
        key = (authority_id, short)
        found = self._authorities.get(key)
        if found is None:
            found = self._authorities[key] = self._authority(authority_id, short)
        return found

    def _authority(self, authority_id: str, short: bool) -> str:
        party = self.directory.get(authority_id)
        if party is None:
            return authority_id
        if short or not party.name:
            return party.state or party.name or authority_id
        return f"{party.state} · {party.name}" if party.state else party.name

    def is_bot(self, user_id: str) -> bool:
        party = self.directory.roster.party_of(user_id)
        return party is not None and party.bot == user_id

    def person(self, user_id: str, lang: str) -> str:
        """``display name · State``; ``bot · State`` for a bot; "you" for this officer
        (in logical order: pass it to :func:`tui.i18n.show` to draw it)."""
        key = (user_id, lang)
        found = self._people.get(key)
        if found is None:
            found = self._people[key] = self._person(user_id, lang)
        return found

    def own(self, lang: str) -> str:
        """This officer as others see them (the status line: which account is open)."""
        return self._person(user_id=self.own_user, lang=lang, as_self=False)

    def _person(self, user_id: str, lang: str, as_self: bool = True) -> str:
        if as_self and user_id == self.own_user:
            return text("you", lang)
        party = self.directory.roster.party_of(user_id)
        if party is None:
            return user_id
        state = party.state or party.name or party.authority_id
        if party.bot == user_id:
            return f"{text('name.bot', lang)} · {state}"
        for person in party.officers:
            if person.user_id == user_id and person.name:
                return f"{person.name} · {state}"
        return f"{user_id.split(':', 1)[0].lstrip('@')} · {state}"  # listed server, no entry
