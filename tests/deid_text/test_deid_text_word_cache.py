"""The word lists kept on disk (word_cache.py) are the lists built from the packages, and a damaged
cache file is rebuilt rather than read."""

from yizhi.deid.text.recognizers import word_cache


def test_cached_list_is_the_built_list_and_a_damaged_file_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("YIZHI_CACHE_DIR", str(tmp_path))
    words = ["zürich", "new york", "", "o'brien", "a"]
    calls = []

    def build():
        calls.append(1)
        return words

    first = word_cache.cached_words("test_list", ("pycountry",), build)
    again = word_cache.cached_words("test_list", ("pycountry",), build)
    assert first == again == frozenset(words) and len(calls) == 1  # the second read came from the file
    (path,) = (tmp_path / "yizhi" / "words").glob("*.txt")
    path.write_text(path.read_text(encoding="utf-8").replace("zürich", "zurich"), encoding="utf-8")
    assert word_cache.cached_words("test_list", ("pycountry",), build) == frozenset(words) and len(calls) == 2


def test_english_words_read_from_the_cache_equal_the_package_list(tmp_path, monkeypatch):
    from yizhi.deid.text.recognizers import english_words

    monkeypatch.setenv("YIZHI_CACHE_DIR", str(tmp_path))
    built = frozenset(english_words._top_words(600))
    assert word_cache.cached_words("en_very_common_words", ("wordfreq",), lambda: english_words._top_words(600)) == built
    assert word_cache.cached_words("en_very_common_words", ("wordfreq",), lambda: ["x"]) == built  # read back


def test_a_ranked_list_keeps_its_order_when_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("YIZHI_CACHE_DIR", str(tmp_path))
    ranked = ["the", "of", "and", "zebra", "a"]  # not sorted: the order is the rank
    assert word_cache.cached_word_list("test_ranks", ("wordfreq",), lambda: ranked) == tuple(ranked)
    assert word_cache.cached_word_list("test_ranks", ("wordfreq",), lambda: ["x"]) == tuple(ranked)  # read back


def test_the_english_taggers_ranks_are_wordfreqs_order(tmp_path, monkeypatch):
    from wordfreq import top_n_list

    from yizhi.deid.text.recognizers import english_tagger

    monkeypatch.setenv("YIZHI_CACHE_DIR", str(tmp_path))
    english_tagger._word_ranks.cache_clear()
    try:
        for _ in range(2):  # built, then read back from the file
            english_tagger._word_ranks.cache_clear()
            ranks = english_tagger._word_ranks()
            assert ranks == {word: rank for rank, word in enumerate(top_n_list("en", 25000))}
    finally:
        english_tagger._word_ranks.cache_clear()
