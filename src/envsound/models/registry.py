"""Every model envsound can train, by name: what it is built from and which features it reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Literal

from envsound.errors import ConfigError

if TYPE_CHECKING:
    from envsound.config import RunConfig
    from envsound.features.cache import Extractor


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: Literal["network", "classic"]  # nn.Module trained by the loop, or an sklearn estimator
    method: str  # the benchmark schema's method: scratch, classic, two_branch, linear_probe, fine_tune
    pretrained: bool
    description: str
    build: Callable[..., Any]  # (n_classes, cfg, pretrained=True): pretrained=False when a model file supplies the weights
    extractor: Callable[["RunConfig"], "Extractor"]


def _logmel(cfg: "RunConfig") -> "Extractor":
    from envsound.features.logmel import LogMelExtractor

    return LogMelExtractor(cfg.features)


def _study_cnn(n_classes: int, cfg: "RunConfig", pretrained: bool = True) -> Any:
    from envsound.models.cnn import StudyCNN

    return StudyCNN(n_classes, n_mels=cfg.features.n_mels, **cfg.train.model_kwargs)


def _compact_cnn(n_classes: int, cfg: "RunConfig", pretrained: bool = True) -> Any:
    from envsound.models.cnn import CompactCNN

    return CompactCNN(n_classes, n_mels=cfg.features.n_mels, **cfg.train.model_kwargs)


def _efficientat_logmel(cfg: "RunConfig") -> "Extractor":
    from envsound.features.efficientat import EfficientATLogMelExtractor

    return EfficientATLogMelExtractor(cfg.features.clip_seconds)


def _efficientat_embedding(cfg: "RunConfig") -> "Extractor":
    from envsound.models.embedding import EfficientATEmbeddingExtractor

    kwargs = cfg.train.model_kwargs
    return EfficientATEmbeddingExtractor(kwargs.get("checkpoint", "mn04_as"), cfg.features.clip_seconds, kwargs.get("views", ("mean",)))


def _pretrained_classifier(n_classes: int, cfg: "RunConfig", pretrained: bool = True) -> Any:
    from envsound.models.pretrained import PretrainedClassifier

    return PretrainedClassifier(n_classes, pretrained=pretrained, **cfg.train.model_kwargs)


def _linear_probe(n_classes: int, cfg: "RunConfig", pretrained: bool = True) -> Any:
    from envsound.models.classic import linear_probe

    return linear_probe()


def _handcrafted(cfg: "RunConfig") -> "Extractor":
    from envsound.features.handcrafted import HandcraftedConfig, HandcraftedExtractor

    overrides = dict(cfg.train.model_kwargs.get("features", {}))
    if "statistics" in overrides:
        overrides["statistics"] = tuple(overrides["statistics"])
    return HandcraftedExtractor(HandcraftedConfig(sample_rate=cfg.features.sample_rate, clip_seconds=cfg.features.clip_seconds, **overrides))


def _classic(name: str) -> Callable[..., Any]:
    def build(n_classes: int, cfg: "RunConfig", pretrained: bool = True) -> Any:
        from envsound.models.classic import build_classic

        return build_classic(name, seed=cfg.train.seed, pca=cfg.train.model_kwargs.get("pca"))

    return build


def _dense(n_classes: int, cfg: "RunConfig", pretrained: bool = True) -> Any:
    from envsound.models.dense import DenseNet

    kwargs = {k: v for k, v in cfg.train.model_kwargs.items() if k != "features"}
    return DenseNet(_handcrafted(cfg).output_shape[0], n_classes, **kwargs)


def _two_branch_features(cfg: "RunConfig") -> "Extractor":
    from envsound.features.logmel import LogMelExtractor
    from envsound.models.two_branch import TwoBranchExtractor

    return TwoBranchExtractor(LogMelExtractor(cfg.features), _handcrafted(cfg))


def _two_branch(n_classes: int, cfg: "RunConfig", pretrained: bool = True) -> Any:
    from envsound.models.two_branch import TwoBranchNet

    extractor = _two_branch_features(cfg)
    kwargs = {k: v for k, v in cfg.train.model_kwargs.items() if k != "features"}
    return TwoBranchNet(n_classes, extractor.n_features, extractor.mel_shape, **kwargs)


MODELS: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    MODELS[spec.name] = spec
    return spec


register(ModelSpec("study_cnn", "network", "scratch", False, "the study's AlexNet-like CNN on log-mels", _study_cnn, _logmel))
register(ModelSpec("compact", "network", "scratch", False, "small residual CNN sized for CPU training", _compact_cnn, _logmel))


register(ModelSpec("mn04_probe", "classic", "linear_probe", True, "frozen AudioSet MobileNet (EfficientAT mn04) embeddings + logistic regression", _linear_probe, _efficientat_embedding))
register(ModelSpec("mn04_finetune", "network", "fine_tune", True, "AudioSet MobileNet (EfficientAT mn04) fine-tuned end to end", _pretrained_classifier, _efficientat_logmel))


CLASSIC_DESCRIPTIONS = {
    "logreg": "logistic regression", "svm_linear": "linear SVM", "svm_rbf": "RBF-kernel SVM", "knn": "k nearest neighbours",
    "rf": "random forest", "mlp": "multi-layer perceptron (scikit-learn)", "gbt": "gradient-boosted trees",
}
for _name, _text in CLASSIC_DESCRIPTIONS.items():
    register(ModelSpec(_name, "classic", "classic", False, f"{_text} on the 110 hand-crafted features (nested grid search)", _classic(_name), _handcrafted))
register(ModelSpec("two_branch", "network", "two_branch", False, "hand-crafted features + log-mel CNN, fused (the study's best network)", _two_branch, _two_branch_features))
register(ModelSpec("dense", "network", "classic", False, "the study's dense network on the 110 hand-crafted features", _dense, _handcrafted))


def get_model(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError(f"unknown model '{name}'; choose from: {', '.join(sorted(MODELS))}") from None
