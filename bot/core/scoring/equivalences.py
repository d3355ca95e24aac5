"""A curated list of phrases that mean the same thing in an ML interview.

Every bank cue benefits: a cue alternative that is one of these phrases also matches the others
("freeze" meets "lock the weights"). Only true equivalents belong here, each group checked by
hand: an abbreviation with a second common meaning ("lr", "cv", "ann", "ci") stays out, because
a false tick costs more trust than a missed paraphrase. Inflections need no entry (the matcher
stems), nor hyphenation ("over-fitting" already meets "overfitting").
"""

from __future__ import annotations

from functools import lru_cache

GROUPS: tuple[tuple[str, ...], ...] = (
    ("freeze", "frozen", "lock the weights", "lock the pretrained weights",
     "keep the weights fixed",
     "weights fixed", "stop updating the weights"),
    ("smaller learning rate", "lower learning rate", "reduced learning rate", "smaller step size",
     "lower step size", "learning rate about a tenth", "step size about a tenth"),
    ("learning rate", "step size"),
    ("held-out", "holdout", "held out"),
    ("validation set", "held-out set", "holdout set", "validation split", "dev set"),
    ("at least once", "at least one pass", "at least one time"),
    ("cross-validation", "k-fold", "kfold"),
    ("a/b test", "ab test", "online experiment", "randomized experiment", "controlled experiment",
     "split test", "randomised controlled trial", "randomized controlled trial", "rct"),
    ("early stopping", "stop early", "stopping early", "stop training early"),
    ("p99", "99th percentile", "99th-percentile latency"),
    ("p95", "95th percentile"),
    ("p50", "median latency"),
    ("one-hot", "dummy variables", "dummy encoding", "indicator variables"),
    ("false positive rate", "fpr", "fall-out"),
    ("recall", "true positive rate", "tpr", "sensitivity", "hit rate"),
    ("specificity", "true negative rate", "tnr"),
    ("precision", "positive predictive value", "ppv"),
    ("auc", "area under the curve", "roc auc", "auroc", "area under the roc curve", "roc-auc"),
    ("gradient boosting", "gbdt", "gbm", "boosted trees", "gradient-boosted trees"),
    ("knn", "k-nearest neighbours", "k nearest neighbours", "k-nearest neighbors",
     "k nearest neighbors"),
    ("neighbour", "neighbor"),
    ("behaviour", "behavior"),
    ("sgd", "stochastic gradient descent"),
    ("training-serving skew", "train-serve skew", "training/serving skew", "online-offline skew",
     "offline-online skew", "train/serve skew", "training serving skew"),
    ("leakage", "leak", "leaks", "leaking", "leaked"),
    ("pii", "personally identifiable information", "personal data"),
    ("llm", "large language model"),
    ("rag", "retrieval-augmented generation", "retrieval augmented generation"),
    ("kv cache", "key-value cache", "kv-cache"),
    ("null hypothesis", "h0"),
    ("p-value", "pvalue"),
    ("mse", "mean squared error", "mean square error"),
    ("rmse", "root mean squared error", "root mean square error"),
    ("mae", "mean absolute error"),
    ("cross-entropy", "log loss", "logloss", "logistic loss", "negative log-likelihood", "nll"),
    ("ndcg", "normalized discounted cumulative gain"),
    ("batch normalization", "batchnorm", "batch norm"),
    ("dropout", "drop-out"),
    ("fine-tuning", "finetuning", "fine-tune", "finetune", "fine-tuned", "finetuned"),
    ("underfitting", "underfit", "under-fitting"),
    ("idempotent", "idempotency", "idempotence"),
    ("deduplicate", "dedupe", "dedup", "remove duplicates", "drop duplicates", "de-duplicate",
     "deduplication"),
    ("backpropagation", "backprop", "back-propagation"),
    ("cnn", "convolutional neural network", "convnet"),
    ("rnn", "recurrent neural network"),
    ("lstm", "long short-term memory"),
    ("rlhf", "reinforcement learning from human feedback"),
    ("dpo", "direct preference optimization"),
    ("lora", "low-rank adaptation"),
    ("ttft", "time to first token"),
    ("qps", "queries per second", "requests per second"),
    ("slo", "service level objective"),
    ("rbac", "role-based access control"),
    ("shadow mode", "shadow deployment", "shadow traffic", "dark launch"),
    ("rollback", "roll back"),
    ("hyperparameter", "hyper-parameter"),
    ("data drift", "covariate shift", "feature drift", "input drift"),
    ("concept drift", "label drift"),
    ("class imbalance", "imbalanced classes", "imbalanced data", "skewed classes"),
    ("o(n^2)", "quadratic"),
    ("o(n)", "linear time"),
    ("o(logn)", "logarithmic time"),
    ("o(1)", "constant time"),
)  # fmt: skip


@lru_cache(maxsize=1)
def _by_key() -> dict[str, tuple[str, ...]]:
    from bot.core.scoring.text import tokenize  # the index is built on first use

    index: dict[str, tuple[str, ...]] = {}
    for group in GROUPS:
        for phrase in group:
            key = "".join(t.key for t in tokenize(phrase).tokens)
            index[key] = tuple(dict.fromkeys(index.get(key, ()) + group))
    return index


def equivalent_phrases(phrase: str) -> tuple[str, ...]:
    """The other phrases of every group the phrase belongs to (empty when it is in none)."""
    from bot.core.scoring.text import tokenize

    key = "".join(t.key for t in tokenize(phrase).tokens)
    return tuple(p for p in _by_key().get(key, ()) if p != phrase)
