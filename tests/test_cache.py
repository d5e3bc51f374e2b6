from index.cache import Budgeted


def test_the_least_recently_used_go_first_once_the_budget_is_spent() -> None:
    cache: Budgeted[str, str] = Budgeted(10, len)
    cache.put("a", "aaaa")
    cache.put("b", "bbbb")
    assert cache.get("a") == "aaaa"  # now b is the least recently used
    cache.put("c", "cccc")
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == ("aaaa", "cccc")
    assert cache.spent == 8


def test_a_value_costing_more_than_the_budget_is_not_kept_and_evicts_nothing() -> None:
    cache: Budgeted[str, str] = Budgeted(10, len)
    cache.put("a", "aaaa")
    cache.put("big", "x" * 11)
    assert cache.get("big") is None
    assert cache.get("a") == "aaaa"


def test_putting_a_key_again_replaces_its_cost() -> None:
    cache: Budgeted[str, str] = Budgeted(10, len)
    cache.put("a", "aaaaaaaa")
    cache.put("a", "aa")
    cache.put("b", "bbbbbbbb")
    assert (cache.get("a"), cache.get("b")) == ("aa", "bbbbbbbb")
    assert cache.spent == 10
