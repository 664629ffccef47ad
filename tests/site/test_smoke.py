"""The seed builds into a site: a draft by default, shown with --drafts."""

from tests.helpers import SEED_NAME

SEED_ADDRESS = "2021/06/04/the-biden-administrations-new-facial-recognition-app/"


def test_seed_is_left_out_as_a_draft_by_default(site_builder, seed_text):
    result = site_builder({SEED_NAME: seed_text})
    assert result.exit_code == 0, result.stderr
    assert "drafts left out:    1" in result.stdout
    assert "Biden" not in result.read("index.html")
    assert "Biden" not in result.read("feed.xml")


def test_seed_with_drafts_shows_both_related_items(site_builder, seed_text):
    result = site_builder({SEED_NAME: seed_text}, "--drafts")
    assert result.exit_code == 0, result.stderr
    story = result.read(f"{SEED_ADDRESS}index.html")
    assert "kvia.com/news/border" in story
    assert "dailymail.co.uk/news/article-9655025" in story
