from __future__ import annotations

import pytest

from core.slugs import (
    EXTERNAL_IMAGE_ID,
    hashed_slug,
    normalize_name,
    same_person_name,
    slugify,
)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("José Núñez", "jose-nunez"),
        ("Grace Hopper", "grace-hopper"),
        ("  Ada   LOVELACE ", "ada-lovelace"),
        ("Zoë O'Brien-Smith", "zoe-o-brien-smith"),
        ("Takeo <script>alert(1)", "takeo-script-alert-1"),
        ("Łukasz Żółć", "ukasz-zoc"),
    ],
)
def test_slugs_are_ascii_and_readable(name: str, slug: str) -> None:
    assert slugify(name) == slug
    assert EXTERNAL_IMAGE_ID.fullmatch(slugify(name))


def test_names_without_latin_letters_get_a_stable_hashed_slug() -> None:
    slug = slugify("山田太郎")
    assert slug.startswith("person-") and EXTERNAL_IMAGE_ID.fullmatch(slug)
    assert slugify("山田太郎") == slug
    assert slugify("山田花子") != slug


def test_long_names_fit_external_image_id() -> None:
    slug = slugify("A" * 500)
    assert len(slug) <= 64 and EXTERNAL_IMAGE_ID.fullmatch(hashed_slug("A" * 500))


def test_colliding_names_get_different_hashed_slugs() -> None:
    assert slugify("José Núñez") == slugify("Jose Nunez")
    assert hashed_slug("José Núñez") != hashed_slug("Jose Nunez")
    assert hashed_slug("José Núñez").startswith("jose-nunez-")


def test_same_person_name_ignores_case_spacing_and_unicode_form() -> None:
    composed, decomposed = "Jos\u00e9", "Jose\u0301"
    assert same_person_name(composed, decomposed)
    assert same_person_name("grace  hopper", "Grace Hopper")
    assert not same_person_name("José", "Jose")
    assert normalize_name(" A  B ") == "a b"
