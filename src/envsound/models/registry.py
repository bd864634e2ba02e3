"""Every model envsound can train, by name: what it is built from, which front end it reads, which
options it takes and which training settings it uses.

Adding a model is one builder plus one ``register`` line here (see the README, "Adding a model").
``resolve`` gives a run config the front end its model reads (keeping the clip length) and refuses
options the model does not know, as a ``ResolvedRunConfig``: the only config builders take; ``run_config_dict`` is what a run records: only what it used.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Callable, Literal

from envsound.config import RunConfig
from envsound.errors import ConfigError
from envsound.features.frontends import adapt_front_end, kind_of

if TYPE_CHECKING:
    from envsound.features.cache import Extractor

# What a scikit-learn model's training reads of TrainConfig; the rest (epochs, optimiser,
# augmentation) is the network loop's, and a classic run's config leaves it out.
CLASSIC_TRAIN_SETTINGS = ("model", "model_kwargs", "seed")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: Literal["network", "classic"]  # nn.Module trained by the loop, or an sklearn estimator
    method: str  # the benchmark schema's method: scratch, classic, two_branch, linear_probe, fine_tune
    pretrained: bool
    description: str
    builder: Callable[..., Any]  # (n_classes, ResolvedRunConfig, pretrained=True): called by ``build``
    front_end: str = "logmel"  # the kind of cfg.features it reads (features/frontends.py); its extractor is EXTRACTORS'
    options: tuple[str, ...] = ()  # the model_kwargs it accepts
    debug: dict[str, Any] = field(default_factory=dict)  # options of a tiny version, for fast tests (audiocraft's habit)
    custom_extractor: Callable[["RunConfig"], "Extractor"] | None = None  # a model outside the registered front ends brings its own

    def build(self, n_classes: int, cfg: "ResolvedRunConfig", pretrained: bool = True) -> Any:
        """The model for ``cfg``; ``pretrained=False`` when a model file supplies the weights."""
        return self.builder(n_classes, _resolved(cfg, "ModelSpec.build"), pretrained)

    def extractor(self, cfg: "ResolvedRunConfig") -> "Extractor":
        """What turns a clip into this model's input, for ``cfg``."""
        cfg = _resolved(cfg, "ModelSpec.extractor")
        if self.custom_extractor is not None:
            return self.custom_extractor(cfg)
        return EXTRACTORS[self.front_end](cfg.features)

    def build_debug(self, n_classes: int, cfg: RunConfig | None = None) -> Any:
        """A tiny, untrained, weight-free version of this model: the same code path, in milliseconds."""
        cfg = (cfg or RunConfig()).with_train(model=self.name, model_kwargs=dict(self.debug))
        return self.build(n_classes, resolve(cfg), pretrained=False)


@dataclass(frozen=True)
class ResolvedRunConfig(RunConfig):
    """A run config its model can be built from: the front end its model reads, and only options
    that model knows. ``resolve`` makes it, at the edges (the CLI, run preparation, model-file
    load); ``ModelSpec.build`` and ``ModelSpec.extractor`` want nothing else. Checked on every
    construction, so a ``replace`` that breaks it (another model) fails instead of passing on."""

    def __post_init__(self) -> None:
        super().__post_init__()
        spec = get_model(self.train.model)
        if kind_of(self.features) != spec.front_end:
            raise ConfigError(f"model '{spec.name}' reads the '{spec.front_end}' front end, not '{kind_of(self.features)}': resolve the config again")
        unknown = set(self.train.model_kwargs) - set(spec.options)
        if unknown:
            known = ", ".join(spec.options) or "none"
            raise ConfigError(f"model '{spec.name}' does not take {sorted(unknown)}; its options: {known}")


def resolve(cfg: RunConfig) -> ResolvedRunConfig:
    """``cfg`` with the front end its model reads and only options the model knows.

    A resolved config comes back as it is. A config of another front end (a default, or one saved
    before front ends had kinds) is converted, keeping its clip length; front-end settings older
    configs kept in ``model_kwargs`` move into ``features``.
    """
    if isinstance(cfg, ResolvedRunConfig):
        return cfg
    spec = get_model(cfg.train.model)
    if spec.kind != "classic" and cfg.train.copy_weight != 1.0:  # said before any feature is computed, not after
        raise ConfigError(f"copy_weight weighs a scikit-learn fit's clips; {spec.name} is a network (leave copy_weight at 1)")
    options = dict(cfg.train.model_kwargs)
    features = adapt_front_end(cfg.features, spec.front_end, options)
    settings = {f.name: getattr(cfg, f.name) for f in fields(RunConfig)}
    return ResolvedRunConfig(**{**settings, "features": features, "train": replace(cfg.train, model_kwargs=options)})


def _resolved(cfg: RunConfig, needs: str) -> ResolvedRunConfig:
    """``cfg`` as it is when resolved. A plain config is resolved here with a DeprecationWarning:
    before 2026-12-07 these took any config, and extenders' code may still pass one (the test
    suite turns the warning into an error, so envsound's own code never does)."""
    if not isinstance(cfg, ResolvedRunConfig):
        import warnings

        warnings.warn(f"{needs} takes a resolved config: call resolve(cfg) where the config is made (a plain one will be refused in a later version)",
                      DeprecationWarning, stacklevel=3)
        return resolve(cfg)
    return cfg


def run_config_dict(cfg: ResolvedRunConfig) -> dict[str, Any]:
    """The config a run records: resolved, and for a classic model without the network loop's
    settings it never read."""
    cfg = _resolved(cfg, "run_config_dict")
    data = cfg.to_dict()
    if get_model(cfg.train.model).kind == "classic":
        data["train"] = {k: v for k, v in data["train"].items() if k in CLASSIC_TRAIN_SETTINGS}
    return data


def _logmel(features: Any) -> "Extractor":
    from envsound.features.logmel import LogMelExtractor

    return LogMelExtractor(features)


def _efficientat_logmel(features: Any) -> "Extractor":
    from envsound.features.efficientat import EfficientATLogMelExtractor

    return EfficientATLogMelExtractor(config=features)


def _efficientat_embedding(features: Any) -> "Extractor":
    from envsound.models.embedding import EfficientATEmbeddingExtractor

    return EfficientATEmbeddingExtractor(config=features)


def _handcrafted(features: Any) -> "Extractor":
    from envsound.features.handcrafted import HandcraftedExtractor

    return HandcraftedExtractor(features)


def _two_branch_features(features: Any) -> "Extractor":
    from envsound.features.handcrafted import HandcraftedExtractor
    from envsound.features.logmel import LogMelExtractor
    from envsound.models.two_branch import TwoBranchExtractor

    return TwoBranchExtractor(LogMelExtractor(features.logmel), HandcraftedExtractor(features.handcrafted))


# Each registered front-end kind (features/frontends.FRONT_ENDS) -> its extractor, made from its config.
EXTRACTORS: dict[str, Callable[[Any], "Extractor"]] = {
    "logmel": _logmel,
    "efficientat-logmel": _efficientat_logmel,
    "efficientat-embedding": _efficientat_embedding,
    "handcrafted": _handcrafted,
    "two-branch": _two_branch_features,
}


def _study_cnn(n_classes: int, cfg: "RunConfig", pretrained: bool = True) -> Any:
    from envsound.models.cnn import StudyCNN

    return StudyCNN(n_classes, n_mels=cfg.features.n_mels, **cfg.train.model_kwargs)


def _compact_cnn(n_classes: int, cfg: "RunConfig", pretrained: bool = True) -> Any:
    from envsound.models.cnn import CompactCNN

    return CompactCNN(n_classes, n_mels=cfg.features.n_mels, **cfg.train.model_kwargs)


def _pretrained_classifier(n_classes: int, cfg: "RunConfig", pretrained: bool = True) -> Any:
    from envsound.models.pretrained import PretrainedClassifier

    return PretrainedClassifier(n_classes, pretrained=pretrained, **cfg.train.model_kwargs)


def _linear_probe(n_classes: int, cfg: "RunConfig", pretrained: bool = True) -> Any:
    from envsound.models.classic import linear_probe

    return linear_probe()


def _classic(name: str) -> Callable[..., Any]:
    def build(n_classes: int, cfg: "RunConfig", pretrained: bool = True) -> Any:
        from envsound.models.classic import build_classic

        return build_classic(name, seed=cfg.train.seed, pca=cfg.train.model_kwargs.get("pca"))

    return build


def _dense(n_classes: int, cfg: "RunConfig", pretrained: bool = True) -> Any:
    from envsound.models.dense import DenseNet

    return DenseNet(_handcrafted(cfg.features).output_shape[0], n_classes, **cfg.train.model_kwargs)


def _two_branch(n_classes: int, cfg: "RunConfig", pretrained: bool = True) -> Any:
    from envsound.models.two_branch import TwoBranchNet

    extractor = _two_branch_features(cfg.features)
    return TwoBranchNet(n_classes, extractor.n_features, extractor.mel_shape, **cfg.train.model_kwargs)


MODELS: dict[str, ModelSpec] = {}


def backbone_checkpoint(cfg: ResolvedRunConfig) -> str | None:
    """The AudioSet checkpoint a config's model starts from (an embedding's front end names it, a
    fine-tuned network its ``model_kwargs``), or None for a model trained from scratch."""
    from envsound.defaults import DEFAULT_CHECKPOINT

    cfg = _resolved(cfg, "backbone_checkpoint")
    if not get_model(cfg.train.model).pretrained:
        return None
    return getattr(cfg.features, "checkpoint", None) or cfg.train.model_kwargs.get("checkpoint", DEFAULT_CHECKPOINT)


def model_license(cfg: ResolvedRunConfig, dataset_name: str) -> str:
    """The licence note a model file trained with ``cfg`` carries: its data's (known for named
    corpora) and its pretrained backbone's."""
    from envsound.data import dataset_info
    from envsound.models.weights import license_note

    known = dataset_info(cfg.dataset)
    return license_note(dataset_name, known.license if known else None, backbone_checkpoint(cfg))


def register(spec: ModelSpec) -> ModelSpec:
    MODELS[spec.name] = spec
    return spec


register(ModelSpec("study_cnn", "network", "scratch", False, "the study's AlexNet-like CNN on log-mels", _study_cnn, "logmel", ("dropout",)))
register(ModelSpec("compact", "network", "scratch", False, "small residual CNN sized for CPU training", _compact_cnn, "logmel", ("width", "dropout", "stem_stride"), {"width": 4}))
register(ModelSpec("mn04_probe", "classic", "linear_probe", True, "frozen AudioSet MobileNet (EfficientAT mn04) embeddings + logistic regression", _linear_probe, "efficientat-embedding"))
register(ModelSpec("mn04_finetune", "network", "fine_tune", True, "AudioSet MobileNet (EfficientAT mn04) fine-tuned end to end", _pretrained_classifier,
                   "efficientat-logmel", ("checkpoint", "dropout", "views")))


CLASSIC_DESCRIPTIONS = {
    "logreg": "logistic regression", "svm_linear": "linear SVM", "svm_rbf": "RBF-kernel SVM", "knn": "k nearest neighbours",
    "rf": "random forest", "mlp": "multi-layer perceptron (scikit-learn)", "gbt": "gradient-boosted trees",
}
for _name, _text in CLASSIC_DESCRIPTIONS.items():
    register(ModelSpec(_name, "classic", "classic", False, f"{_text} on the 110 hand-crafted features (nested grid search)", _classic(_name), "handcrafted", ("pca",)))
register(ModelSpec("two_branch", "network", "two_branch", False, "hand-crafted features + log-mel CNN, fused (the study's best network)", _two_branch,
                   "two-branch", ("width", "hidden", "dropout"), {"width": 4, "hidden": 8}))
register(ModelSpec("dense", "network", "classic", False, "the study's dense network on the 110 hand-crafted features", _dense, "handcrafted", ("hidden", "dropout"), {"hidden": [16]}))


def get_model(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError(f"unknown model '{name}'; choose from: {', '.join(sorted(MODELS))}") from None
