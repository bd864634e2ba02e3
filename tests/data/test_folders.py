import numpy as np
import pytest

from conftest import tone, write_wav
from envsound.data import (
    assert_no_leak,
    fold_assignment,
    load_csv,
    load_dataset,
    load_folder,
    split_indices,
)
from envsound.errors import DatasetError


def test_folder_per_class(tone_dataset):
    m = load_folder(tone_dataset)
    assert m.classes == ("high", "low", "mid") and len(m) == 30 and m.folds is None


def test_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / "cls").mkdir()
    with pytest.raises(DatasetError, match="no audio files"):
        load_folder(tmp_path)
    with pytest.raises(DatasetError, match="folder not found"):
        load_folder(tmp_path / "nope")


def test_csv_manifest_relative_paths_and_folds(tmp_path):
    write_wav(tmp_path / "a.wav", tone(300))
    write_wav(tmp_path / "b.wav", tone(900))
    (tmp_path / "m.csv").write_text("path,label,fold,group\na.wav,low,1,g1\nb.wav,high,2,g2\n")
    m = load_csv(tmp_path / "m.csv")
    assert [c.path for c in m.clips] == [tmp_path / "a.wav", tmp_path / "b.wav"]
    assert m.folds.tolist() == [1, 2] and m.groups == ["g1", "g2"]
    assert load_dataset(str(tmp_path / "m.csv")).name == "m"


@pytest.mark.parametrize(
    "text, message",
    [
        ("file,class\na.wav,x\n", "needs a header"),
        ("path,label\n", "has no rows"),
        ("path,label,fold\na.wav,x,one\n", "fold must be an integer"),
        ("path,label\na.wav,\n", "empty path or label"),
    ],
)
def test_bad_csv(tmp_path, text, message):
    (tmp_path / "m.csv").write_text(text)
    with pytest.raises(DatasetError, match=message):
        load_csv(tmp_path / "m.csv")


def test_group_kfold_keeps_groups_together_and_stratifies(tmp_path):
    rows = ["path,label,group"]
    for label in ("a", "b"):
        for rec in range(10):
            for piece in range(3):  # three fragments of one recording
                rows.append(f"{label}{rec}-{piece}.wav,{label},{label}{rec}")
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n")
    m = load_csv(tmp_path / "m.csv")
    folds = fold_assignment(m, n_folds=5, seed=0)
    assert sorted(set(folds.tolist())) == [1, 2, 3, 4, 5]
    for fold in range(1, 6):
        train, test = split_indices(folds, fold)
        assert_no_leak(m, train, test)
        assert set(m.targets[test].tolist()) == {0, 1}


def test_leak_check_catches_a_planted_leak(tmp_path):
    (tmp_path / "m.csv").write_text("path,label,group\nx1.wav,a,rec1\nx2.wav,a,rec1\nx3.wav,b,rec2\n")
    m = load_csv(tmp_path / "m.csv")
    with pytest.raises(DatasetError, match="leak"):
        assert_no_leak(m, np.array([0]), np.array([1, 2]))


def test_augmented_copy_must_stay_with_its_source(tmp_path):
    (tmp_path / "m.csv").write_text("path,label,source\norig.wav,a,\norig-aug1.wav,a,orig\nother.wav,b,\n")
    m = load_csv(tmp_path / "m.csv")
    with pytest.raises(DatasetError, match="leak"):
        assert_no_leak(m, np.array([1, 2]), np.array([0]))


def test_files_that_share_a_name_in_two_folders_are_two_clips(tmp_path):
    """dog/001.wav and cat/001.wav: one id used to make them one group, a false leak across folds
    and one augmented copy written over the other."""
    from envsound.augment.offline import augment_dataset

    for label in ("dog", "cat"):
        for k in range(2):
            write_wav(tmp_path / label / f"00{k}.wav", tone(300 if label == "dog" else 900, seconds=0.5, seed=k))
    (tmp_path / "m.csv").write_text("path,label,fold\ndog/000.wav,dog,1\ncat/000.wav,cat,2\ndog/001.wav,dog,2\ncat/001.wav,cat,1\n")
    m = load_csv(tmp_path / "m.csv")
    assert [c.clip_id for c in m.clips] == ["dog~000", "cat~000", "dog~001", "cat~001"]
    assert len(set(m.groups)) == 4
    train, test = split_indices(m.folds, 1)
    assert_no_leak(m, train, test)  # used to raise: "000" on both sides
    out = augment_dataset(m, tmp_path / "aug", ("gain",), workers=1, show_progress=False)
    augmented = load_csv(out)
    copies = [c for c in augmented.clips if c.source]
    assert sorted(c.source for c in copies) == ["cat~000", "cat~001", "dog~000", "dog~001"]
    assert len({c.path for c in copies}) == 4 and all(c.path.exists() for c in copies)
    assert {c.source: c.label for c in copies} == {"dog~000": "dog", "dog~001": "dog", "cat~000": "cat", "cat~001": "cat"}
    for fold in (1, 2):  # each copy sits with its own source, and the originals keep their ids
        train, test = split_indices(augmented.folds, fold)
        assert_no_leak(augmented, train, test)
    assert [c.clip_id for c in augmented.clips if not c.source] == [c.clip_id for c in m.clips]
    unique = load_csv(tmp_path / "m.csv").select([0, 2])
    assert [c.clip_id for c in unique.clips] == ["dog~000", "dog~001"]  # ids are the dataset's, kept in subsets


def test_a_spreadsheet_export_with_a_byte_order_mark_and_crlf_reads(tmp_path):
    """Excel's "CSV UTF-8" starts with a byte-order mark, which used to become part of the first
    column's name ("\\ufeffpath"): the manifest and a predict file list were refused."""
    from envsound.inference.corpus import corpus_paths

    for name in ("a.wav", "b.wav"):
        write_wav(tmp_path / name, tone(440))
    (tmp_path / "m.csv").write_bytes(b"\xef\xbb\xbfpath,label,fold\r\na.wav,dog,1\r\nb.wav,cat,2\r\n")
    m = load_csv(tmp_path / "m.csv")
    assert [c.label for c in m.clips] == ["dog", "cat"] and m.folds.tolist() == [1, 2]
    assert corpus_paths([str(tmp_path / "m.csv")]) == [str(tmp_path / "a.wav"), str(tmp_path / "b.wav")]


def test_one_file_under_two_names_is_listed_twice(tmp_path):
    """A CSV row by relative path and one by absolute path, or a folder linked into itself, named one
    clip twice and passed the check."""
    import soundfile as sf

    from envsound.data.folders import load_csv, load_folder
    from envsound.errors import DatasetError

    (tmp_path / "dog").mkdir()
    (tmp_path / "cat").mkdir()
    sf.write(tmp_path / "dog" / "a.wav", np.zeros(1600, dtype=np.float32), 16000)
    sf.write(tmp_path / "cat" / "b.wav", np.zeros(1600, dtype=np.float32), 16000)
    csv_path = tmp_path / "m.csv"
    csv_path.write_text(f"path,label\ndog/a.wav,dog\n{tmp_path / 'dog' / 'a.wav'},cat\n")
    with pytest.raises(DatasetError, match="listed twice with different labels"):
        load_csv(csv_path)
    (tmp_path / "all").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(DatasetError, match="listed twice"):
        load_folder(tmp_path)


def test_augment_refuses_to_write_into_the_dataset(tmp_path):
    import soundfile as sf

    from envsound.augment.offline import augment_dataset
    from envsound.data.folders import load_folder
    from envsound.errors import DatasetError

    for label in ("dog", "cat"):
        (tmp_path / label).mkdir()
        sf.write(tmp_path / label / f"{label}.wav", np.zeros(1600, dtype=np.float32), 16000)
    manifest = load_folder(tmp_path)
    with pytest.raises(DatasetError, match="inside the dataset"):
        augment_dataset(manifest, tmp_path / "dog" / "augmented", ("noise",), show_progress=False)
    assert not (tmp_path / "dog" / "augmented").exists()


def test_files_of_one_source_share_a_group_from_their_names(tmp_path):
    """ESC-50-style names group takes of one source; --group-pattern says how other names do;
    two takes of one recording once landed on both sides of a split."""
    from envsound.data.folders import load_folder
    from envsound.training.recipe import inner_folds

    silence = np.zeros(1600, dtype=np.float32)
    for label, offset in (("dog", 0), ("cat", 50)):
        for source in range(4):
            for take in "AB":
                write_wav(tmp_path / "esc" / label / f"1-{100 + offset + source}-{take}-0.wav", silence)
                write_wav(tmp_path / "mine" / label / f"{label}{source}_take{take}.wav", silence)
    esc = load_folder(tmp_path / "esc")
    assert len(set(esc.groups)) == 8 and esc.groups.count(esc.groups[0]) == 2
    plain = load_folder(tmp_path / "mine")
    assert len(set(plain.groups)) == 16  # no pattern: each file its own source
    mine = load_folder(tmp_path / "mine", group_pattern=r"^(\w+?)_take")
    assert len(set(mine.groups)) == 8
    folds = inner_folds(mine)
    for group in set(mine.groups):
        assert len({f for f, g in zip(folds, mine.groups) if g == group}) == 1  # both takes on one side
    with pytest.raises(DatasetError, match="not a regular expression"):
        load_folder(tmp_path / "mine", group_pattern="(")
