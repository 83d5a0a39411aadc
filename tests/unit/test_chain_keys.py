"""The history keyring as an operator writes it in COMPLAINTS_HISTORY_KEY: what is accepted, what is refused and why."""

import base64
import hashlib
import hmac
import re

import pytest

from engine.records import chain_keys

HEX_KEY = "ab" * 32
SECRET = bytes.fromhex(HEX_KEY)


def refused(text: str) -> str:
    with pytest.raises(chain_keys.KeyringError) as error:
        chain_keys.parse(text)
    return str(error.value)


def test_a_bare_key_is_named_by_a_fingerprint_that_never_changes():
    """Events store the key's id: a bare key must get the same id in every release, or old events lose their key."""
    assert chain_keys.fingerprint(SECRET) == "kf5b23bbcfe"
    keyring = chain_keys.parse(f"  {HEX_KEY}  \n")
    assert keyring.keys == (("kf5b23bbcfe", SECRET),) and keyring.signing_id == "kf5b23bbcfe"


def test_signing_is_hmac_sha256_under_the_named_key_by_default_the_first():
    """An auditor holding the key can recompute every signature with any HMAC tool."""
    old = bytes(range(16))
    keyring = chain_keys.parse(f"new:{HEX_KEY}\nold:{old.hex()}")
    assert keyring.signing_id == "new" and keyring.ids == ("new", "old")
    assert keyring.sign(b"event") == hmac.new(SECRET, b"event", hashlib.sha256).hexdigest()
    assert keyring.sign(b"event", "old") == hmac.new(old, b"event", hashlib.sha256).hexdigest()
    assert keyring.sign(b"event", "old") == keyring.sign(b"event", "old")  # the cached pads are not consumed
    assert keyring.sign(b"other", "new") == hmac.new(SECRET, b"other", hashlib.sha256).hexdigest()


def test_signing_with_a_key_the_keyring_does_not_hold_names_it():
    keyring = chain_keys.parse(f"new:{HEX_KEY}")
    with pytest.raises(chain_keys.KeyringError) as error:
        keyring.sign(b"event", "gone")
    assert str(error.value) == "no history key 'gone' in the keyring"


def test_entries_are_separated_by_commas_spaces_or_lines_and_comments_are_ignored():
    text = f"# keys of 2026\na:{HEX_KEY}, b:{'cd' * 16}  c:{'ef' * 16} # c is the oldest\n\n#d:{'01' * 16}\n"
    assert chain_keys.parse(text).ids == ("a", "b", "c")


def test_a_16_byte_key_is_enough_and_a_15_byte_one_is_refused():
    assert chain_keys.parse("k:" + "01" * 16).keys == (("k", bytes([1] * 16)),)
    assert refused("k:" + "01" * 15) == "history key 'k' is 15 bytes; it needs at least 16 (32 recommended)"
    assert refused("01" * 15) == "the history key is 15 bytes; it needs at least 16 (32 recommended)"


def test_base64_keys_are_read_with_or_without_padding_and_in_the_url_safe_alphabet():
    """`openssl rand -base64` output, or the same with '=' dropped or '-_' for '+/', is the same key."""
    for size in (22, 23, 24):  # 2, 1 and no '=' of padding
        secret = bytes(range(250, 256)) + bytes(range(size - 6))
        standard, url_safe = base64.b64encode(secret).decode(), base64.urlsafe_b64encode(secret).decode()
        for written in (standard, standard.rstrip("="), url_safe, url_safe.rstrip("=")):
            assert chain_keys.parse(f"k:{written}").keys == (("k", secret),), written


def test_a_hex_key_of_odd_length_is_read_as_base64_and_mixed_case_hex_as_hex():
    assert chain_keys.parse("k:" + "aB" * 16).keys == (("k", bytes([0xAB] * 16)),)
    odd = "a" * 33  # not hex bytes: read as base64 (33 characters cannot be base64 either)
    assert refused(f"k:{odd}") == "history key 'k' is neither hex nor base64"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the history keyring is empty"),
        ("  # no key yet\n", "the history keyring is empty"),
        (f"a:{HEX_KEY},a:{'cd' * 32}", "the history keyring names a key id twice"),
        (f"bad id!:{HEX_KEY}", "write each history key as id:secret (id: letters, digits, '.', '_', '-')"),
        (f"{HEX_KEY},{'cd' * 32}", "write each history key as id:secret (id: letters, digits, '.', '_', '-')"),
        (f"a:{HEX_KEY},{'cd' * 16}", "write each history key as id:secret (id: letters, digits, '.', '_', '-')"),
        (f":{HEX_KEY}", "write each history key as id:secret (id: letters, digits, '.', '_', '-')"),
        (f"{'i' * 41}:{HEX_KEY}", "write each history key as id:secret (id: letters, digits, '.', '_', '-')"),
        ("k:not-base64-at-all%%", "history key 'k' is neither hex nor base64"),
        ("k:" + "AAAA" * 6 + "$!", "history key 'k' is neither hex nor base64"),  # no stray character is dropped
        ("not+base64%%", "the history key is neither hex nor base64"),
        ("k:", "history key 'k' is 0 bytes; it needs at least 16 (32 recommended)"),
    ],
)
def test_a_keyring_written_wrong_is_refused_with_a_precise_message(text, message):
    assert refused(text) == message


def test_key_ids_may_use_letters_digits_dots_underscores_and_dashes_up_to_40():
    long_id = "A" * 40
    text = f"prod-2026.v1_a:{HEX_KEY},{long_id}:{'cd' * 16}"
    assert chain_keys.parse(text).ids == ("prod-2026.v1_a", long_id)


def test_a_keyring_built_directly_is_checked_too():
    with pytest.raises(chain_keys.KeyringError, match=re.escape("the history keyring is empty")):
        chain_keys.Keyring(())
    with pytest.raises(chain_keys.KeyringError, match=re.escape("the history keyring names a key id twice")):
        chain_keys.Keyring((("a", SECRET), ("b", SECRET), ("a", SECRET)))
