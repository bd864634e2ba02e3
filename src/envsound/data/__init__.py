"""Datasets as Manifests: one recipe module per corpus (ESC-50/ESC-10, UrbanSound8K) in one
registry, plus a user's folder-per-class or CSV; leak-free splits; downloads."""

from envsound.data.esc50 import load_esc50, verify_esc50
from envsound.data.folders import load_csv, load_folder
from envsound.data.info import DatasetInfo
from envsound.data.manifest import Clip, Manifest
from envsound.data.registry import DATASETS, dataset_info, get_dataset, load_dataset
from envsound.data.splits import assert_no_leak, check_trainable, fold_assignment, split_indices

__all__ = ["Clip", "DATASETS", "DatasetInfo", "Manifest", "assert_no_leak", "check_trainable", "dataset_info", "fold_assignment", "get_dataset",
           "load_csv", "load_dataset", "load_esc50", "load_folder", "split_indices", "verify_esc50"]
