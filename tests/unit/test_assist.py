"""The assistant's pure parts: reading articles, chunking, ranking, the category vote, the
evaluation's arithmetic and the acknowledgement — with a small deterministic word-hashing
embedder instead of the model."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from slakeeper.assist.acknowledge import (
    ACK_PREFIX,
    ack_event,
    ack_event_id,
    acknowledgement_text,
    article_url,
)
from slakeeper.assist.embedding import MiniLM, Vectors, normalise
from slakeeper.assist.kb import (
    Article,
    KnowledgeBase,
    KnowledgeBaseError,
    Section,
    load_kb,
    parse_article,
    split_sections,
)
from slakeeper.assist.suggest import (
    ArticleIndex,
    CategoryGuess,
    Labelled,
    Suggestion,
    Suggestions,
    check_labels,
    chunks,
    evaluate,
    parse_labelled,
    score,
    ticket_text,
    vote,
)
from slakeeper.domain.errors import InvalidInput
from slakeeper.domain.events import COMMENT, parse_event
from tests.embedders import WordsEmbedder

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_KB = ROOT / "examples" / "kb"
LABELLED = ROOT / "bench" / "data" / "assist-labelled.jsonl"
CATEGORIES = {"storage", "compute", "network", "billing", "access"}


def article_text(
    title: str = "Reset MFA", category: str = "access", body: str = "", **more: str
) -> str:
    front = [f"title: {title}", f"category: {category}"] + [f"{k}: {v}" for k, v in more.items()]
    body = body or "Lost your phone? Use a recovery code.\n\n## Steps\n\nOpen the profile."
    return "---\n" + "\n".join(front) + "\n---\n" + body + "\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def article(article_id: str, category: str, title: str, body: str) -> Article:
    return parse_article(article_text(title, category, body), article_id)


# -- reading articles ----------------------------------------------------------------------------


def test_an_article_takes_its_id_from_the_file_stem_unless_it_names_one() -> None:
    found = parse_article(article_text(), "access-reset-mfa", "kb/access-reset-mfa.md")
    assert (found.id, found.title, found.category) == ("access-reset-mfa", "Reset MFA", "access")
    assert found.source == "kb/access-reset-mfa.md"
    named = parse_article(article_text(id="mfa-1"), "access-reset-mfa")
    assert named.id == "mfa-1"


def test_the_body_is_cut_into_sections_at_headings_but_not_inside_code() -> None:
    body = "Intro line.\n\n## First\n\nOne.\n\n```\n# a shell comment\n```\n\n### Second ###\nTwo."
    found = parse_article(article_text(body=body), "x")
    assert [s.heading for s in found.sections] == ["", "First", "Second"]
    assert "# a shell comment" in found.sections[1].text
    assert found.paragraphs[0] == "Intro line."
    assert split_sections("## Only a heading") == (Section("Only a heading", ""),)


def test_a_byte_order_mark_and_dots_closing_the_front_matter_are_accepted() -> None:
    text = "\ufeff---\ntitle: T\ncategory: c\n...\nBody."
    assert parse_article(text, "t").body == "Body."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title: T\ncategory: c\nBody", "no front matter"),
        ("---\ntitle: T\ncategory: c\nBody", "not closed"),
        ("---\ntitle: Open a port: firewall\ncategory: c\n---\nBody", "line 2: mapping values"),
        ("---\n- a list\n---\nBody", "must be a mapping"),
        ("---\ncategory: c\n---\nBody", "title: is missing"),
        ("---\ntitle: T\ncategory: 7\n---\nBody", "category: 7 must be a non-empty string"),
        ("---\ntitle: ' '\ncategory: c\n---\nBody", "title: ' ' must be a non-empty string"),
        ("---\ntitle: T\ncategory: c\nid: a b\n---\nBody", "id: 'a b' is not a usable id"),
        ("---\ntitle: T\ncategory: c\n---\n\n  \n", "body: is empty"),
    ],
)
def test_a_bad_article_is_refused_naming_the_file(text: str, message: str) -> None:
    with pytest.raises(KnowledgeBaseError) as raised:
        parse_article(text, "stem", "kb/bad.md")
    assert all(line.startswith("kb/bad.md: ") for line in raised.value.lines())
    assert message in str(raised.value)


def test_every_problem_of_an_article_is_reported_at_once() -> None:
    with pytest.raises(KnowledgeBaseError) as raised:
        parse_article("---\nid: '-x'\n---\n", "stem", "a.md")
    wheres = [issue.where for issue in raised.value.issues]
    assert wheres == ["title", "category", "id", "body"]


def test_a_folder_is_read_recursively_in_id_order(tmp_path: Path) -> None:
    write(tmp_path, "b.md", article_text("B", "network"))
    write(tmp_path, "sub/a.md", article_text("A", "storage"))
    write(tmp_path, "notes.txt", "not an article")
    kb = load_kb(tmp_path)
    assert [a.id for a in kb.articles] == ["a", "b"]
    assert kb.categories == ("network", "storage")
    assert kb.get("b") is not None
    assert kb.get("c") is None


def test_the_bad_files_of_a_folder_are_each_named(tmp_path: Path) -> None:
    write(tmp_path, "good.md", article_text())
    bad = write(tmp_path, "bad.md", "---\ntitle: X\n---\nBody")
    latin = tmp_path / "latin.md"
    latin.write_bytes(article_text(title="Gr\xfc\xdfe").encode("latin-1"))
    with pytest.raises(KnowledgeBaseError) as raised:
        load_kb(tmp_path)
    lines = raised.value.lines()
    assert f"{bad}: category: is missing" in lines
    assert any(line.startswith(f"{latin}: cannot be read") for line in lines)
    assert len(lines) == 2


def test_the_same_id_twice_names_both_files(tmp_path: Path) -> None:
    write(tmp_path, "one.md", article_text(id="same"))
    write(tmp_path, "two.md", article_text(id="same"))
    with pytest.raises(KnowledgeBaseError, match=r"two\.md.*also the id of .*one\.md"):
        load_kb(tmp_path)


def test_a_missing_empty_or_wrong_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="does not exist"):
        load_kb(tmp_path / "nowhere")
    with pytest.raises(KnowledgeBaseError, match=r"holds no \*\.md articles"):
        load_kb(tmp_path)
    file = write(tmp_path, "x.md", article_text())
    with pytest.raises(KnowledgeBaseError, match="is not a folder"):
        load_kb(file)
    with pytest.raises(KnowledgeBaseError, match="no articles"):
        KnowledgeBase(())


def test_the_example_knowledge_base_is_30_articles_6_per_category() -> None:
    kb = load_kb(EXAMPLE_KB)
    assert len(kb.articles) == 30
    assert Counter(a.category for a in kb.articles) == dict.fromkeys(CATEGORIES, 6)
    assert len({a.title for a in kb.articles}) == 30
    for found in kb.articles:
        words = len(found.body.split())
        assert 120 <= words <= 400, (found.id, words)
        assert len(found.sections) >= 2, found.id


def test_the_labelled_set_covers_every_example_article_at_least_six_times() -> None:
    kb = load_kb(EXAMPLE_KB)
    items = parse_labelled(LABELLED.read_bytes().splitlines(), str(LABELLED))
    check_labels(items, kb, str(LABELLED))
    assert len(items) >= 240
    per_article = Counter(i.article for i in items)
    assert set(per_article) == {a.id for a in kb.articles}
    assert min(per_article.values()) >= 6
    assert len({i.text for i in items}) == len(items)  # no ticket twice


# -- chunks, ranking, the vote -------------------------------------------------------------------


def test_chunks_are_the_title_with_its_lead_then_each_section_under_the_title() -> None:
    found = article(
        "a",
        "storage",
        "Resize a volume",
        "Grow it online.\n\nMore.\n\n## Linux\n\nRun growpart.\n\n## Empty",
    )
    assert chunks(found, "title") == ("Resize a volume",)
    assert chunks(found, "lead") == ("Resize a volume. Grow it online.",)
    assert chunks(found, "sections") == (
        "Resize a volume. Grow it online.",
        "Resize a volume. Grow it online. More.",
        "Resize a volume — Linux. Run growpart.",
    )


KB_SMALL = KnowledgeBase(
    (
        article("dns", "network", "DNS records", "Change an A record and wait for the TTL."),
        article("invoice", "billing", "Read your invoice", "Usage lines, recurring fees, credits."),
        article(
            "mfa",
            "access",
            "Reset MFA",
            "Lost phone.\n\n## Recovery codes\n\nUse a recovery code to log in.",
        ),
        article("vpn", "network", "VPN tunnel down", "IPsec phase one does not come up."),
    )
)


def test_the_article_sharing_the_tickets_words_comes_first() -> None:
    index = ArticleIndex.build(KB_SMALL, WordsEmbedder())
    found = index.suggest("I need a recovery code, my phone is lost", k=2)
    assert len(found.articles) == 2
    assert found.articles[0].article.id == "mfa"
    assert found.articles[0].score > found.articles[1].score
    assert found.category.name == "access"
    assert index.suggest("ipsec tunnel phase one", k=1).articles[0].article.id == "vpn"


def test_one_section_is_enough_to_find_an_article() -> None:
    embedder = WordsEmbedder()
    pooled = ArticleIndex.build(KB_SMALL, embedder, "sections")
    lead_only = ArticleIndex.build(KB_SMALL, embedder, "lead")
    text = "use a recovery code to log in"
    mfa = [a.id for a in KB_SMALL.articles].index("mfa")
    query = embedder.encode([text])
    assert pooled.scores(query)[0, mfa] > lead_only.scores(query)[0, mfa]


def test_a_batch_is_embedded_in_one_call_and_k_is_checked() -> None:
    embedder = WordsEmbedder()
    index = ArticleIndex.build(KB_SMALL, embedder)
    embedder.calls.clear()
    found = index.suggest_many(["dns ttl", "invoice credits", "vpn"], k=3)
    assert len(embedder.calls) == 1
    assert [len(f.articles) for f in found] == [3, 3, 3]
    assert index.suggest_many([], k=3) == []
    for k in (0, 11):
        with pytest.raises(InvalidInput, match="between 1 and 10"):
            index.suggest("dns", k=k)
    with pytest.raises(InvalidInput, match="empty"):
        index.suggest("  \n", k=3)


def test_ticket_text_is_the_subject_then_the_body() -> None:
    assert ticket_text(" VPN down ", "since 7am\n") == "VPN down\nsince 7am"
    assert ticket_text("", "only a body") == "only a body"
    assert ticket_text(" ", "") == ""


def _articles(n: int, categories: Sequence[str] = ("a", "b", "c")) -> list[Article]:
    return [
        article(f"art{i:02d}", categories[i % len(categories)], f"T{i}", "Body.") for i in range(n)
    ]


@st.composite
def indexes(draw: st.DrawFn) -> tuple[ArticleIndex, Vectors]:
    """An index over random unit vectors (1-4 chunks per article) and random queries."""
    n = draw(st.integers(1, 6))
    per = draw(st.lists(st.integers(1, 4), min_size=n, max_size=n))
    dim = draw(st.integers(2, 8))
    floats = st.floats(-1, 1, allow_nan=False, width=32)
    raw = draw(hnp.arrays(np.float32, (sum(per), dim), elements=floats))
    queries = draw(hnp.arrays(np.float32, (draw(st.integers(1, 3)), dim), elements=floats))
    owners = [i for i, count in enumerate(per) for _ in range(count)]
    return ArticleIndex(_articles(n), normalise(raw), owners, WordsEmbedder()), normalise(queries)


@settings(max_examples=200, deadline=None)
@given(indexes())
def test_an_articles_score_is_its_best_chunks_cosine_within_bounds(
    case: tuple[ArticleIndex, Vectors],
) -> None:
    index, queries = case
    scores = index.scores(queries)
    assert scores.shape == (len(queries), len(index.articles))
    assert np.all(scores >= -1.0)
    assert np.all(scores <= 1.0)
    starts = [*index._starts, len(index.vectors)]
    for q, query in enumerate(queries.astype(np.float64)):
        for a in range(len(index.articles)):
            block = index.vectors[starts[a] : starts[a + 1]].astype(np.float64) @ query
            assert scores[q, a] == pytest.approx(np.clip(block.max(), -1, 1), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(indexes(), st.integers(1, 10))
def test_a_ranking_is_best_first_with_equal_scores_in_article_order(
    case: tuple[ArticleIndex, Vectors], k: int
) -> None:
    index, queries = case
    for row in index.scores(queries):
        ranked = index.rank(row, k)
        assert len(ranked) == min(k, len(index.articles))
        order = [index.articles.index(s.article) for s in ranked]
        for (a, b), (i, j) in zip(pairwise(ranked), pairwise(order), strict=True):
            assert a.score > b.score or (a.score == b.score and i < j)
        best = float(row.max())
        assert ranked[0].score == best


def test_the_index_refuses_owners_that_skip_or_go_back() -> None:
    vectors = normalise(np.eye(3, dtype=np.float32))
    for owners in ([0, 0, 0], [0, 2, 1], [1, 1, 0]):
        with pytest.raises(ValueError, match="owners"):
            ArticleIndex(_articles(2), vectors, owners, WordsEmbedder())
    with pytest.raises(ValueError, match="one vector per chunk"):
        ArticleIndex(_articles(2), vectors, [0, 1], WordsEmbedder())


scored = st.lists(
    st.tuples(st.sampled_from("xyz"), st.floats(-1, 1, allow_nan=False)), min_size=1, max_size=8
)


@settings(max_examples=300)
@given(scored, st.integers(1, 8))
def test_the_vote_names_a_voters_category_with_a_confidence_in_0_1(
    pairs: list[tuple[str, float]], voters: int
) -> None:
    ranked = [
        Suggestion(article(f"a{i}", category, "T", "B."), s)
        for i, (category, s) in enumerate(sorted(pairs, key=lambda p: -p[1]))
    ]
    guess = vote(ranked, voters)
    assert guess.name in {s.article.category for s in ranked[:voters]}
    assert 0.0 < guess.confidence <= 1.0
    if len({s.article.category for s in ranked[:voters]}) == 1:
        assert guess.confidence == 1.0
    else:
        assert guess.confidence >= 1.0 / len({s.article.category for s in ranked[:voters]}) - 1e-12


def test_the_vote_weighs_by_closeness_to_the_best_score() -> None:
    def ranked(*pairs: tuple[str, float]) -> list[Suggestion]:
        return [Suggestion(article(f"a{i}", c, "T", "B."), s) for i, (c, s) in enumerate(pairs)]

    # two close runners-up of another category outvote a best article that is barely ahead
    assert vote(ranked(("x", 0.60), ("y", 0.599), ("y", 0.598))).name == "y"
    # far behind, they do not
    clear = vote(ranked(("x", 0.60), ("y", 0.30), ("y", 0.29)))
    assert clear.name == "x"
    assert clear.confidence > 0.99
    # an exact tie goes to the better-ranked article's category
    assert vote(ranked(("y", 0.5), ("x", 0.5))).name == "y"
    with pytest.raises(ValueError, match="no articles"):
        vote([])


# -- evaluation ----------------------------------------------------------------------------------


def test_labelled_lines_are_read_and_bad_ones_named() -> None:
    good = [
        b'{"text": "VPN down", "article": "vpn", "category": "network", "lang": "en"}',
        b"",
        '{"text": "invoice?", "article": "invoice", "category": "billing"}',
    ]
    items = parse_labelled(good, "set.jsonl")
    assert items == [
        Labelled("VPN down", "vpn", "network", 1),
        Labelled("invoice?", "invoice", "billing", 3),
    ]
    bad = [
        b'{"text": "x", "article": "vpn", "category": "network"}',
        b"{nope",
        b"[1]",
        b'{"text": ""}',
    ]
    with pytest.raises(InvalidInput) as raised:
        parse_labelled(bad, "set.jsonl")
    lines = raised.value.lines()
    assert lines[0].startswith("set.jsonl: line 2: not valid JSON")
    assert lines[1] == "set.jsonl: line 3: must be an object with text, article and category"
    assert lines[2] == "set.jsonl: line 4: text, article, category must be non-empty strings"
    with pytest.raises(InvalidInput, match="no labelled tickets"):
        parse_labelled([b"", b"  "], "set.jsonl")


def test_labels_must_name_an_article_and_its_category() -> None:
    items = [
        Labelled("a", "vpn", "network", 1),
        Labelled("b", "nope", "x", 2),
        Labelled("c", "dns", "billing", 3),
    ]
    with pytest.raises(InvalidInput) as raised:
        check_labels(items, KB_SMALL, "set.jsonl")
    assert raised.value.lines() == [
        "set.jsonl: line 2: no article 'nope' in the knowledge base",
        "set.jsonl: line 3: category 'billing', but article 'dns' is in 'network'",
    ]


def test_hit_rates_count_first_place_top_k_and_category() -> None:
    dns, invoice, mfa, vpn = KB_SMALL.articles

    def found(category: str, *ranked: Article) -> Suggestions:
        return Suggestions(tuple(Suggestion(a, 0.5) for a in ranked), CategoryGuess(category, 1.0))

    items = [
        Labelled("1", "dns", "network"),
        Labelled("2", "vpn", "network"),
        Labelled("3", "mfa", "access"),
        Labelled("4", "invoice", "billing"),
    ]
    result = score(
        items,
        [
            found("network", dns, vpn, mfa),  # first
            found("network", dns, vpn, mfa),  # second: a top-3 hit
            found("billing", invoice, dns, vpn),  # missed, wrong category
            found("billing", invoice, dns, vpn),  # first
        ],
        k=3,
    )
    assert (result.total, result.top1, result.topk, result.category) == (4, 2, 3, 3)
    assert result.rate(result.topk) == 0.75
    assert [m.item.text for m in result.misses] == ["3"]
    assert result.misses[0].ranked == ("invoice", "dns", "vpn")


def test_evaluate_matches_scoring_one_ticket_at_a_time() -> None:
    index = ArticleIndex.build(KB_SMALL, WordsEmbedder())
    items = [
        Labelled("recovery code lost phone", "mfa", "access"),
        Labelled("A record ttl", "dns", "network"),
        Labelled("ipsec phase", "vpn", "network"),
    ]
    batched = evaluate(index, items, k=1, batch=2)
    single = score(items, [index.suggest(i.text, 1) for i in items], 1)
    assert batched == single
    assert batched.top1 == 3


# -- embeddings ----------------------------------------------------------------------------------


@settings(max_examples=200)
@given(
    hnp.arrays(
        np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=st.floats(-1e3, 1e3)
    )
)
def test_normalised_rows_have_unit_length_or_are_zero(raw: np.ndarray[Any, Any]) -> None:
    found = normalise(raw)
    assert found.dtype == np.float32
    norms = np.linalg.norm(found.astype(np.float64), axis=1)
    for norm, row in zip(norms, raw, strict=True):
        if np.any(row != 0):
            assert norm == pytest.approx(1.0, abs=1e-5)
        else:
            assert norm == 0.0


class FakeSentenceModel:
    def __init__(self) -> None:
        self.kwargs: dict[str, Any] = {}

    def encode(self, sentences: list[str], **kwargs: Any) -> Any:
        self.kwargs = kwargs
        return np.array([[3.0, 4.0] + [0.0] * 382 for _ in sentences], dtype=np.float64)


def test_minilm_asks_for_normalised_numpy_vectors_and_returns_float32() -> None:
    model = FakeSentenceModel()
    found = MiniLM(model).encode(["a", "b"])
    assert found.dtype == np.float32
    assert found.shape == (2, 384)
    assert found[0, :2].tolist() == pytest.approx([0.6, 0.8])
    assert model.kwargs["normalize_embeddings"] is True
    assert model.kwargs["convert_to_numpy"] is True
    assert model.kwargs["show_progress_bar"] is False
    assert MiniLM(model).encode([]).shape == (0, 384)


# -- the acknowledgement -------------------------------------------------------------------------


def test_the_acknowledgement_lists_each_article_with_its_link_and_is_deterministic() -> None:
    dns, _, mfa, _ = KB_SMALL.articles
    suggestions = [Suggestion(mfa, 0.7), Suggestion(dns, 0.4)]
    text = acknowledgement_text(suggestions, "https://help.example.com/kb/")
    assert text == acknowledgement_text(list(suggestions), "https://help.example.com/kb/")
    assert "- Reset MFA: https://help.example.com/kb/mfa" in text
    assert "- DNS records: https://help.example.com/kb/dns" in text
    assert text.index("Reset MFA") < text.index("DNS records")
    assert text.startswith("Hello,")
    plain = acknowledgement_text([])
    assert "articles" not in plain
    assert "received your request" in plain


def test_article_links_quote_the_id() -> None:
    assert article_url("/kb", "a b/c") == "/kb/a%20b%2Fc"
    assert article_url("https://x.test/kb/", "vpn") == "https://x.test/kb/vpn"


def test_the_acknowledgement_event_is_a_public_system_comment_with_a_stable_id() -> None:
    event = ack_event("T-1", 1_700_000_000_000_000)
    assert event["id"] == ack_event_id("T-1") == "assist-ack:T-1"
    parsed = parse_event(event)
    assert (parsed.type, parsed.author, parsed.public) == (COMMENT, "system", True)
    long_ticket = "T" * 256
    long_id = ack_event_id(long_ticket)
    assert long_id.startswith(ACK_PREFIX + "sha256:")
    assert len(long_id) <= 256
    assert long_id == ack_event_id(long_ticket)
    assert parse_event(ack_event(long_ticket, 0)).id == long_id
    assert json.loads(json.dumps(event)) == event
