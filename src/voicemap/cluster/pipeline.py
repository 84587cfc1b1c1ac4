"""The clustering pipeline: vectorise -> reduce -> cluster -> label, each step swappable.

Shaped like BERTopic: every step is a constructor argument with a sensible default, and
`fit` reads as the narrated steps. The defaults follow what we measured (PERF.md):

- vectorise: TF-IDF over the statements' stored content lemmas (stop words removed,
  1–2-grams), plus the statement's coded pain category and touchpoints as lightly
  weighted extra features: the codebook knows "my box came at 11pm" is about delivery
  even when the words are rare, but weighted heavily the codes glued distinct problems
  (late boxes, damaged contents) into one cluster on the sample study;
- reduce: TruncatedSVD (LSA) to at most 100 dimensions, rows L2-normalised;
- cluster: without `k`, average-linkage agglomerative clustering on cosine distance
  with a distance threshold for up to a few thousand statements (the number of issues
  follows the data); past that its cost grows with n², so MiniBatchKMeans with k chosen
  by silhouette on a sample takes over. With `k`, KMeans (MiniBatchKMeans at scale);
- label: class-based TF-IDF names (`labels.py`).

Clusters smaller than `min_size` are left unclustered (label -1). Every random step has
a fixed `random_state`, and clusters are numbered by size, so the same statements in
the same order always give the same clusters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.cluster import AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from voicemap.cluster.labels import ClassTfidfLabeller

RANDOM_STATE = 42
MAX_COMPONENTS = 100
DISTANCE_THRESHOLD = 0.95  # average cosine distance at which two groups stop merging
AGGLOMERATIVE_MAX = 2500  # above this, agglomerative memory and time grow too fast (PERF.md)
K_CANDIDATES = (8, 12, 16, 24, 32, 48)
SILHOUETTE_SAMPLE = 2000
K_SEARCH_SAMPLE = 5000  # candidates for k are tried on a sample: the search stays cheap at 100k
DEFAULT_MIN_SIZE = 3
CODE_WEIGHT = 0.25  # the codes nudge, the words decide (heavier codes glued distinct problems together)


def _codes(row: dict[str, Any]) -> list[str]:
    touchpoints = row.get("touchpoints") or []
    if isinstance(touchpoints, str):
        touchpoints = json.loads(touchpoints or "[]")
    codes = [f"touchpoint={t}" for t in touchpoints]
    if row.get("pain_category"):
        codes.append(f"pain_category={row['pain_category']}")
    return codes


class StatementVectorizer:
    """TF-IDF of lemmas, side by side with weighted TF-IDF of the statement's codes."""

    def __init__(self, text_vectorizer: TfidfVectorizer | None = None, code_weight: float = CODE_WEIGHT):
        self.text_vectorizer = text_vectorizer
        self.code_weight = code_weight
        self.code_vectorizer = TfidfVectorizer(analyzer=lambda codes: codes, binary=True)

    def _default_text_vectorizer(self, n: int) -> TfidfVectorizer:
        return TfidfVectorizer(stop_words="english", ngram_range=(1, 2), sublinear_tf=True,
                               min_df=2 if n >= 1000 else 1, token_pattern=r"(?u)\b[^\W\d_][\w'-]+\b")

    def fit_transform(self, rows: Sequence[dict[str, Any]]):
        docs = [row.get("lemmas") or "" for row in rows]
        self.text_vectorizer = self.text_vectorizer or self._default_text_vectorizer(len(rows))
        try:
            text = self.text_vectorizer.fit_transform(docs)
        except ValueError:  # empty vocabulary: nothing but stop words
            text = csr_matrix((len(rows), 0))
        parts = [text]
        codes = [_codes(row) for row in rows]
        if self.code_weight > 0 and any(codes):
            parts.append(self.code_vectorizer.fit_transform(codes) * self.code_weight)
        return normalize(hstack(parts).tocsr())


class LsaReducer:
    """TruncatedSVD to at most `n_components` dimensions, then unit-length rows."""

    def __init__(self, n_components: int = MAX_COMPONENTS, random_state: int = RANDOM_STATE):
        self.n_components = n_components
        self.random_state = random_state

    def fit_transform(self, features) -> np.ndarray:
        n_components = min(self.n_components, features.shape[1] - 1, features.shape[0] - 1)
        if n_components < 2:
            return normalize(features.toarray() if hasattr(features, "toarray") else features)
        svd = TruncatedSVD(n_components=n_components, random_state=self.random_state)
        return normalize(svd.fit_transform(features))


class AdaptiveClusterer:
    """Picks the algorithm by size and by whether the caller fixed k; records what it did."""

    def __init__(self, k: int | None = None, distance_threshold: float = DISTANCE_THRESHOLD,
                 agglomerative_max: int = AGGLOMERATIVE_MAX, k_candidates: Sequence[int] = K_CANDIDATES,
                 random_state: int = RANDOM_STATE):
        self.k = k
        self.distance_threshold = distance_threshold
        self.agglomerative_max = agglomerative_max
        self.k_candidates = tuple(k_candidates)
        self.random_state = random_state
        self.algorithm = ""

    def fit_predict(self, vectors: np.ndarray) -> np.ndarray:
        n = len(vectors)
        if n < 2:
            self.algorithm = "single statement"
            return np.zeros(n, dtype=int)
        if self.k:
            k = min(self.k, n)
            self.algorithm = f"KMeans(k={k})" if n <= self.agglomerative_max else f"MiniBatchKMeans(k={k})"
            return self._kmeans(vectors, k)
        if n <= self.agglomerative_max:
            self.algorithm = f"agglomerative(average, cosine, distance_threshold={self.distance_threshold})"
            model = AgglomerativeClustering(n_clusters=None, distance_threshold=self.distance_threshold,
                                            linkage="average", metric="cosine")
            return model.fit_predict(vectors)
        k, labels = self._choose_k(vectors)
        self.algorithm = f"MiniBatchKMeans(k={k}, chosen by silhouette from {list(self.k_candidates)})"
        return labels

    def _kmeans(self, vectors: np.ndarray, k: int, n_init: int = 3) -> np.ndarray:
        if len(vectors) <= self.agglomerative_max:
            return KMeans(n_clusters=k, n_init=4, random_state=self.random_state).fit_predict(vectors)
        return MiniBatchKMeans(n_clusters=k, n_init=n_init, batch_size=2048,
                               random_state=self.random_state).fit_predict(vectors)

    def _choose_k(self, vectors: np.ndarray) -> tuple[int, np.ndarray]:
        """Try each candidate k on a sample (silhouette, cosine), then fit the best on everything."""
        rng = np.random.default_rng(self.random_state)
        sample = vectors[np.sort(rng.choice(len(vectors), size=min(K_SEARCH_SAMPLE, len(vectors)), replace=False))]
        scored = np.sort(rng.choice(len(sample), size=min(SILHOUETTE_SAMPLE, len(sample)), replace=False))
        best: tuple[float, int] | None = None
        for k in self.k_candidates:
            if k >= len(sample):
                continue
            labels = MiniBatchKMeans(n_clusters=k, n_init=1, batch_size=2048,
                                     random_state=self.random_state).fit_predict(sample)
            if len(set(labels[scored])) < 2:
                continue
            score = silhouette_score(sample[scored], labels[scored], metric="cosine")
            if best is None or score > best[0]:
                best = (score, k)
        if best is None:
            return 1, np.zeros(len(vectors), dtype=int)
        return best[1], self._kmeans(vectors, best[1])


@dataclass
class ClusterResult:
    """What one fit found, in the order of the input rows; label -1 means unclustered."""

    labels: np.ndarray
    centrality: np.ndarray  # cosine similarity to the cluster centre (0 when unclustered)
    terms: dict[int, list[tuple[str, float]]]
    names: dict[int, str]
    vectors: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def cluster_ids(self) -> list[int]:
        return sorted(self.names)

    def members(self, cluster: int) -> list[int]:
        return [i for i, label in enumerate(self.labels) if label == cluster]


def renumber_by_size(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Drop clusters under min_size to -1 and number the rest 0.. by size (ties: first member)."""
    sizes: dict[int, int] = {}
    first: dict[int, int] = {}
    for index, label in enumerate(labels):
        if label < 0:
            continue
        sizes[label] = sizes.get(label, 0) + 1
        first.setdefault(label, index)
    kept = sorted((l for l, size in sizes.items() if size >= min_size), key=lambda l: (-sizes[l], first[l]))
    mapping = {old: new for new, old in enumerate(kept)}
    return np.array([mapping.get(label, -1) for label in labels], dtype=int)


class ClusterPipeline:
    """Vectorise, reduce, cluster and label statement rows (dicts with lemmas and codes)."""

    def __init__(self, vectorizer_model=None, reducer_model=None, cluster_model=None, labeller=None, *,
                 k: int | None = None, min_size: int = DEFAULT_MIN_SIZE, random_state: int = RANDOM_STATE,
                 code_weight: float = CODE_WEIGHT, distance_threshold: float = DISTANCE_THRESHOLD):
        self.vectorizer_model = vectorizer_model or StatementVectorizer(code_weight=code_weight)
        self.reducer_model = reducer_model or LsaReducer(random_state=random_state)
        self.cluster_model = cluster_model or AdaptiveClusterer(k=k, distance_threshold=distance_threshold,
                                                                random_state=random_state)
        self.labeller = labeller or ClassTfidfLabeller()
        self.k, self.min_size, self.random_state = k, min_size, random_state
        self.code_weight, self.distance_threshold = code_weight, distance_threshold

    def params(self) -> dict[str, Any]:
        return {"k": self.k, "min_size": self.min_size, "random_state": self.random_state,
                "code_weight": self.code_weight, "distance_threshold": self.distance_threshold,
                "vectorizer": type(self.vectorizer_model).__name__, "reducer": type(self.reducer_model).__name__,
                "clusterer": getattr(self.cluster_model, "algorithm", "") or type(self.cluster_model).__name__,
                "labeller": type(self.labeller).__name__}

    def fit(self, rows: Sequence[dict[str, Any]]) -> ClusterResult:
        n = len(rows)
        if n == 0:
            return ClusterResult(np.zeros(0, int), np.zeros(0), {}, {}, np.zeros((0, 0)), self.params())
        # 1. Vectorise; statements with no usable words or codes cannot be placed anywhere.
        features = self.vectorizer_model.fit_transform(rows)
        usable = np.flatnonzero(np.asarray(features.getnnz(axis=1)).ravel() > 0)
        labels = np.full(n, -1, dtype=int)
        vectors = np.zeros((n, 1))
        if len(usable) >= max(2, self.min_size):
            # 2. Reduce to a dense semantic space.
            reduced = self.reducer_model.fit_transform(features[usable])
            vectors = np.zeros((n, reduced.shape[1]))
            vectors[usable] = reduced
            # 3. Cluster; then drop the small ones and number by size.
            labels[usable] = self.cluster_model.fit_predict(reduced)
        labels = renumber_by_size(labels, self.min_size)
        # 4. Centres and how typical each member is of its cluster.
        centrality = np.zeros(n)
        for cluster in sorted(set(labels) - {-1}):
            members = labels == cluster
            centre = vectors[members].mean(axis=0)
            norm = np.linalg.norm(centre)
            if norm > 0:
                centrality[members] = vectors[members] @ (centre / norm)
        # 5. Name each cluster by its distinctive words.
        terms = self.labeller.fit([row.get("lemmas") or "" for row in rows], labels)
        names = {cluster: self.labeller.name(terms.get(cluster, [])) for cluster in sorted(set(labels) - {-1})}
        return ClusterResult(labels, centrality, terms, names, vectors, self.params())
