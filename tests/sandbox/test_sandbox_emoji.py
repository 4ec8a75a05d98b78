"""The sandbox's emoji table speaks Slack's names (iamcal's emoji-data, Slack's own set), not only GitHub's."""

from __future__ import annotations

import aiohttp
import emoji
import pytest

from bot.sandbox import Sandbox, emoji_table
from bot.sandbox.emoji_table import shortcodes

# Shortcodes a tester typed that showed literally (issue 9), with the emoji Slack shows for each.
SLACK_ONLY = {
    "flag-gb": "\U0001F1EC\U0001F1E7",
    "flag-us": "\U0001F1FA\U0001F1F8",
    "flag-de": "\U0001F1E9\U0001F1EA",
    "woman-shrugging": "\U0001F937\u200d\u2640",
    "man-facepalming": "\U0001F926\u200d\u2642",
    "female-technologist": "\U0001F469\u200d\U0001F4BB",
    "male-technologist": "\U0001F468\u200d\U0001F4BB",
    "woman-raising-hand": "\U0001F64B\u200d\u2640",
    "large_green_circle": "\U0001F7E2",
    "smiling_face_with_3_hearts": "\U0001F970",
    "the_horns": "\U0001F918",
    "man-woman-girl-boy": "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466",
    "simple_smile": "\U0001F642",
    "face_palm": "\U0001F926",
}

# Where Slack and GitHub give one name to two emoji, Slack's wins; and the rules cover the less common kinds.
SLACK_CHOICES = {
    "dog": "\U0001F436", "cat": "\U0001F431", "dog2": "\U0001F415", "email": "\u2709", "satellite": "\U0001F6F0",
    "ok_woman": "\U0001F646", "flag-england": "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F",
    "woman-heart-man": "\U0001F469\u200d\u2764\u200d\U0001F468", "man-kiss-man":
    "\U0001F468\u200d\u2764\u200d\U0001F48B\u200d\U0001F468", "woman-wrestling": "\U0001F93C\u200d\u2640",
    "female_mage": "\U0001F9D9\u200d\u2640", "woman-woman-boy": "\U0001F469\u200d\U0001F469\u200d\U0001F466",
    "palm_tree": "\U0001F334", "+1": "\U0001F44D", "skin-tone-6": "\U0001F3FF",
}

# Every 12th short name of iamcal's emoji-data 15.1 emoji.json in its sort order (name=code points, no FE0F).
WIDE_SAMPLE = """
grinning=1F600 wink=1F609 smiling_face_with_tear=1F972 face_with_peeking_eye=1FAE3
face_in_clouds=1F636-200D-1F32B sleepy=1F62A woozy_face=1F974 face_with_diagonal_mouth=1FAE4
fearful=1F628 yawning_face=1F971 shit=1F4A9 smirk_cat=1F63C heartpulse=1F497 yellow_heart=1F49B
boom=1F4A5 wave=1F44B ok_hand=1F44C point_right=1F449 facepunch=1F44A nail_care=1F485 lungs=1FAC1
adult=1F9D1 red_haired_person=1F9D1-200D-1F9B0 person_frowning=1F64D information_desk_person=1F481
face_palm=1F926 teacher=1F9D1-200D-1F3EB mechanic=1F9D1-200D-1F527 technologist=1F9D1-200D-1F4BB
astronaut=1F9D1-200D-1F680 guardsman=1F482 woman-wearing-turban=1F473-200D-2640 breast-feeding=1F931
supervillain=1F9B9 merperson=1F9DC troll=1F9CC man_walking_facing_right=1F6B6-200D-2642-200D-27A1
man_with_probing_cane=1F468-200D-1F9AF man_in_manual_wheelchair=1F468-200D-1F9BD man_dancing=1F57A
woman_climbing=1F9D7-200D-2640 man-rowing-boat=1F6A3-200D-2642 man-biking=1F6B4-200D-2642
man-playing-water-polo=1F93D-200D-2642 sleeping_accommodation=1F6CC
woman-kiss-woman=1F469-200D-2764-200D-1F48B-200D-1F469
man-man-girl-boy=1F468-200D-1F468-200D-1F467-200D-1F466 man-girl-girl=1F468-200D-1F467-200D-1F467
family_adult_adult_child_child=1F9D1-200D-1F9D1-200D-1F9D2-200D-1F9D2 orangutan=1F9A7
lion_face=1F981 cow=1F42E camel=1F42B rabbit2=1F407 kangaroo=1F998 dove_of_peace=1F54A goose=1FABF
whale2=1F40B snail=1F40C spider_web=1F578 wilted_flower=1F940 ear_of_rice=1F33E watermelon=1F349
strawberry=1F353 bell_pepper=1FAD1 bread=1F35E bacon=1F953 fried_egg=1F373 rice_cracker=1F358
dango=1F361 doughnut=1F369 glass_of_milk=1F95B tumbler_glass=1F943 knife=1F52A volcano=1F30B
wood=1FAB5 love_hotel=1F3E9 hindu_temple=1F6D5 city_sunrise=1F307 bullettrain_front=1F685
minibus=1F690 truck=1F69A roller_skate=1F6FC anchor=2693 airplane_departure=1F6EB luggage=1F9F3
clock2=1F551 clock8=1F557 waxing_gibbous_moon=1F314 sun_with_face=1F31E sun_behind_cloud=1F325
rainbow=1F308 ocean=1F30A dolls=1F38E sports_medal=1F3C5 flying_disc=1F94F ice_skate=26F8
crystal_ball=1F52E hearts=2665 yarn=1F9F6 gloves=1F9E4 purse=1F45B sandal=1F461 lipstick=1F484
musical_score=1F3BC musical_keyboard=1F3B9 telephone_receiver=1F4DE minidisc=1F4BD
video_camera=1F4F9 book=1F4D6 rolled_up_newspaper=1F5DE receipt=1F9FE mailbox_with_mail=1F4EC
briefcase=1F4BC clipboard=1F4CB unlock=1F513 bomb=1F4A3 link=1F517 telescope=1F52D window=1FA9F
broom=1F9F9 headstone=1FAA6 womens=1F6BA no_bicycles=1F6B3 arrow_lower_right=2198
arrows_counterclockwise=1F504 latin_cross=271D virgo=264D fast_forward=23E9
black_circle_for_record=23FA heavy_multiplication_x=2716 heavy_exclamation_mark=2757
white_check_mark=2705 registered=00AE eight=0038-20E3 cool=1F192 vs=1F19A u5408=1F234
large_brown_circle=1F7E4 black_medium_square=25FC diamond_shape_with_a_dot_inside=1F4A0
flag-ac=1F1E6-1F1E8 flag-at=1F1E6-1F1F9 flag-bi=1F1E7-1F1EE flag-by=1F1E7-1F1FE cn=1F1E8-1F1F3
flag-de=1F1E9-1F1EA flag-er=1F1EA-1F1F7 flag-ga=1F1EC-1F1E6 flag-gn=1F1EC-1F1F3 flag-hr=1F1ED-1F1F7
flag-is=1F1EE-1F1F8 flag-km=1F1F0-1F1F2 flag-lk=1F1F1-1F1F0 flag-mg=1F1F2-1F1EC flag-mu=1F1F2-1F1FA
flag-nl=1F1F3-1F1F1 flag-pk=1F1F5-1F1F0 flag-rs=1F1F7-1F1F8 flag-sj=1F1F8-1F1EF flag-sz=1F1F8-1F1FF
flag-to=1F1F9-1F1F4 flag-uy=1F1FA-1F1FE flag-ye=1F1FE-1F1EA
"""


def _bare(text: str) -> str:
    """Without VARIATION SELECTOR-16: Slack's data and the emoji package differ on where they write it."""
    return text.replace("\ufe0f", "")


@pytest.mark.parametrize("name", [*SLACK_ONLY, *SLACK_CHOICES])
def test_slack_names_resolve_to_the_emoji_slack_shows(name: str) -> None:
    expected = SLACK_ONLY.get(name) or SLACK_CHOICES[name]
    assert _bare(shortcodes().get(name, f":{name}:")) == _bare(expected)


def test_a_wide_sample_of_slacks_names_resolves() -> None:
    table = shortcodes()
    sample = dict(item.split("=") for item in WIDE_SAMPLE.split())
    assert len(sample) > 150
    wrong = {name: table.get(name) for name, points in sample.items()
             if _bare(table.get(name, "")) != "".join(chr(int(p, 16)) for p in points.split("-"))}
    assert wrong == {}


def test_every_cldr_name_and_github_alias_resolves() -> None:
    table = shortcodes()
    names = {n.strip(":") for data in emoji.EMOJI_DATA.values() for n in (data["en"], *data.get("alias", ()))}
    assert len(names) > 5000
    assert sorted(n for n in names if n not in table) == []
    assert all(emoji.emojize(f":{cldr}:") != f":{cldr}:" for cldr in emoji_table.SLACK_NAMES.values())


async def test_the_page_gets_slacks_names(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    async with http.get(sandbox.web_url + "api/emoji") as response:
        table = (await response.json())["emoji"]
    assert {name: table.get(name) for name in SLACK_ONLY} == {n: shortcodes()[n] for n in SLACK_ONLY}
    assert "flag-gb" in table and table["flag-gb"] == "\U0001F1EC\U0001F1E7"
