from domain.passwords import CHARGER_KEY_ITERATIONS, hash_secret, verify_secret


def test_hash_verifies_only_the_same_secret():
    encoded = hash_secret("s3cret", CHARGER_KEY_ITERATIONS)
    assert "s3cret" not in encoded
    assert verify_secret("s3cret", encoded)
    assert not verify_secret("s3cret!", encoded)


def test_malformed_or_missing_hash_never_verifies():
    assert not verify_secret("x", None)
    assert not verify_secret("x", "garbage")
    assert not verify_secret("x", "md5$1$salt$abc")
