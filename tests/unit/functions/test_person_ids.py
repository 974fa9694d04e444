"""The one person_id rule (core.slugs.person_id, used by enroll and gallery sync) when two
display names share a slug."""

from __future__ import annotations

from core import slugs
from core.schemas import Person


class People:
    def __init__(self, *names_by_id: tuple[str, str]) -> None:
        self.items = {
            pid: Person(
                person_id=pid, name=name, watchlist="known", enrolled_at="t", updated_at="t"
            )
            for pid, name in names_by_id
        }

    def get(self, person_id: str) -> Person | None:
        return self.items.get(person_id)


def person_id(people: People, name: str) -> str:
    def owner_of(slug: str) -> str | None:
        owner = people.get(slug)
        return owner.name if owner else None

    return slugs.person_id(name, owner_of)


def test_a_free_slug_is_used_as_is() -> None:
    assert person_id(People(), "José Núñez") == "jose-nunez"


def test_the_same_name_keeps_its_id_whatever_the_case_or_spacing() -> None:
    assert person_id(People(("jose-nunez", "José Núñez")), "josé  núñez") == "jose-nunez"


def test_another_name_with_the_same_slug_gets_a_hashed_id() -> None:
    people = People(("jose-nunez", "Jose Nunez"))
    other = person_id(people, "José Núñez")
    assert other.startswith("jose-nunez-") and other != "jose-nunez"
    assert person_id(people, "José Núñez") == other, "stable"
