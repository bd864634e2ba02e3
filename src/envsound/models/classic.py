"""Classic classifiers as scikit-learn pipelines: standardise -> optional PCA -> model.

Each comes wrapped in a grid search whose inner cross-validation splits the *training* folds by
their own fold ids (leave-one-training-fold-out), so tuning never sees the outer test fold.
"""

from __future__ import annotations

from typing import Any

from sklearn.calibration import CalibratedClassifierCV
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

PCA_OPTIONS = ["passthrough", PCA(n_components=0.95, svd_solver="full")]


def _calibrated(svm: SVC) -> CalibratedClassifierCV:
    """SVM scores -> probabilities by Platt scaling (what SVC(probability=True) did before 1.9)."""
    return CalibratedClassifierCV(svm, method="sigmoid", cv=3, ensemble=False)


def _estimators(seed: int) -> dict[str, tuple[Any, dict[str, list]]]:
    return {
        "logreg": (LogisticRegression(max_iter=3000), {"model__C": [0.1, 1.0, 10.0]}),
        "svm_linear": (_calibrated(SVC(kernel="linear")), {"model__estimator__C": [0.01, 0.1, 1.0]}),
        "svm_rbf": (_calibrated(SVC(kernel="rbf")), {"model__estimator__C": [1.0, 10.0, 100.0], "model__estimator__gamma": ["scale", 0.003]}),
        "knn": (KNeighborsClassifier(weights="distance"), {"model__n_neighbors": [1, 5, 10]}),
        "rf": (RandomForestClassifier(n_estimators=500, n_jobs=-1, random_state=seed), {"model__max_features": ["sqrt", 0.3]}),
        "mlp": (MLPClassifier(hidden_layer_sizes=(256,), max_iter=600, early_stopping=True, random_state=seed), {"model__alpha": [1e-4, 1e-2]}),
        "gbt": (HistGradientBoostingClassifier(max_iter=150, max_leaf_nodes=15, early_stopping=True, random_state=seed), {}),
    }


CLASSIC_MODELS = tuple(_estimators(0))


def build_classic(name: str, seed: int = 0, pca: bool | None = None, inner_folds: int = 4) -> GridSearchCV | Pipeline:
    """``pca``: None tunes with/without PCA (95 % variance), True/False fixes it. A model with
    nothing to tune comes back as a plain pipeline (no inner cross-validation to pay for)."""
    estimator, grid = _estimators(seed)[name]
    pipeline = Pipeline([("scale", StandardScaler()), ("pca", "passthrough"), ("model", estimator)])
    grid = dict(grid)
    grid["pca"] = PCA_OPTIONS if pca is None else ([PCA_OPTIONS[1]] if pca else ["passthrough"])
    # trees and neighbours gain nothing from PCA here; skip the extra fits
    if name in ("rf", "gbt") and pca is None:
        grid["pca"] = ["passthrough"]
    if all(len(v) == 1 for v in grid.values()):
        return pipeline.set_params(**{k: v[0] for k, v in grid.items()})
    return GridSearchCV(pipeline, grid, cv=GroupKFold(n_splits=inner_folds), scoring="accuracy", n_jobs=1, refit=True)


def linear_probe() -> Any:
    """Standardise -> logistic regression; C chosen by an inner CV on the training folds only."""
    import inspect

    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # scikit-learn ≥ 1.9 warns unless these are explicit; older releases do not know them
    modern = "use_legacy_attributes" in inspect.signature(LogisticRegressionCV).parameters
    extra = {"use_legacy_attributes": False, "l1_ratios": (0.0,)} if modern else {}
    probe = LogisticRegressionCV(Cs=[0.01, 0.03, 0.1, 0.3, 1.0], cv=3, max_iter=3000, scoring="accuracy", **extra)
    return make_pipeline(StandardScaler(), probe)
