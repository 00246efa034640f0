"""Label files: COCO keypoint JSON and DeepLabCut CSV, read and written, with every error."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from neurodl.exceptions import DataFormatError, DataValueError
from neurodl.pose.labels import (
    PoseLabels,
    read_coco_keypoints,
    read_dlc_labels,
    read_dlc_predictions,
    read_labels,
    write_coco_keypoints,
    write_dlc_labels,
    write_dlc_predictions,
)

NAMES = ("nose", "left_wrist", "right_wrist")


def _labels(tmp_path) -> PoseLabels:
    points = np.array(
        [[[1.5, 2.25], [3.0, 4.0], [np.nan, np.nan]], [[5.0, 6.0], [7.0, 8.0], [9.0, 1.0]]]
    )
    return PoseLabels(["a.png", "b.png"], points, NAMES, ((0, 1), (0, 2)), tmp_path)


def test_coco_round_trip_keeps_names_points_and_one_based_skeleton(tmp_path):
    labels = _labels(tmp_path)
    labels.visible[1, 2] = False  # labelled but hidden
    write_coco_keypoints(tmp_path / "labels.json", labels, image_size=(10, 12))
    raw = json.loads((tmp_path / "labels.json").read_text())
    assert raw["categories"][0]["skeleton"] == [[1, 2], [1, 3]]
    assert raw["annotations"][0]["keypoints"][6:9] == [0, 0, 0]
    assert raw["annotations"][1]["keypoints"][8] == 1
    back = read_labels(tmp_path / "labels.json")
    assert back.names == NAMES and back.skeleton == ((0, 1), (0, 2))
    np.testing.assert_allclose(back.keypoints, labels.keypoints, equal_nan=True)
    assert back.visible.tolist() == [[True, True, False], [True, True, False]]
    assert back.images == ["a.png", "b.png"] and back.root == tmp_path


def test_coco_keeps_the_annotation_with_most_points_per_image(tmp_path):
    data = {
        "images": [{"id": 7, "file_name": "x.png"}],
        "annotations": [
            {"id": 1, "image_id": 7, "category_id": 1, "keypoints": [1, 1, 2, 0, 0, 0]},
            {"id": 2, "image_id": 7, "category_id": 1, "keypoints": [2, 2, 2, 3, 3, 2]},
        ],
        "categories": [{"id": 1, "name": "infant", "keypoints": ["a", "b"], "skeleton": []}],
    }
    (tmp_path / "l.json").write_text(json.dumps(data))
    np.testing.assert_allclose(
        read_coco_keypoints(tmp_path / "l.json").keypoints, [[[2, 2], [3, 3]]]
    )


def test_dlc_round_trip_and_new_three_column_index(tmp_path):
    labels = _labels(tmp_path)
    write_dlc_labels(tmp_path / "CollectedData_me.csv", labels, scorer="me")
    lines = (tmp_path / "CollectedData_me.csv").read_text().splitlines()
    assert lines[0].startswith("scorer,me,me") and lines[1].startswith("bodyparts,nose,nose")
    assert lines[2] == "coords,x,y,x,y,x,y"
    back = read_labels(tmp_path / "CollectedData_me.csv")
    assert back.names == NAMES
    np.testing.assert_allclose(back.keypoints, labels.keypoints, equal_nan=True)
    three = [
        "scorer,,,me,me",
        "bodyparts,,,nose,nose",
        "coords,,,x,y",
        "labeled-data,vid,img0.png,1.0,2.0",
    ]
    (tmp_path / "new.csv").write_text("\n".join(three) + "\n")
    new = read_dlc_labels(tmp_path / "new.csv")
    assert new.images == ["labeled-data/vid/img0.png"] and new.names == ("nose",)


def test_dlc_images_are_found_next_to_the_csv_or_at_the_project_root(tmp_path):
    folder = tmp_path / "labeled-data" / "vid"
    folder.mkdir(parents=True)
    Image.fromarray(np.full((4, 6, 3), 9, np.uint8)).save(folder / "img0.png")
    rows = ["scorer,me,me", "bodyparts,nose,nose", "coords,x,y", "labeled-data/vid/img0.png,1,2"]
    (folder / "CollectedData_me.csv").write_text("\n".join(rows) + "\n")
    images = read_dlc_labels(folder / "CollectedData_me.csv").load_images()
    assert images.shape == (1, 4, 6, 3) and images.max() == 9


def test_predictions_csv_round_trip(tmp_path):
    points = np.arange(12, dtype=float).reshape(2, 3, 2)
    confidence = np.array([[0.9, 0.5, 0.1], [1.0, 0.0, 0.25]])
    write_dlc_predictions(tmp_path / "video.csv", points, confidence, NAMES)
    lines = (tmp_path / "video.csv").read_text().splitlines()
    assert lines[2] == "coords," + ",".join(["x", "y", "likelihood"] * 3)
    assert lines[3].split(",")[0] == "0" and len(lines) == 5
    p, c, names = read_dlc_predictions(tmp_path / "video.csv")
    np.testing.assert_allclose(p, points)
    np.testing.assert_allclose(c, confidence)
    assert names == NAMES


@pytest.mark.parametrize(
    ("content", "error", "match"),
    [
        ("{not json", DataFormatError, "not valid JSON"),
        ('{"images": []}', DataFormatError, "lack"),
        (
            '{"images": [], "annotations": [], "categories": [{"id": 1}]}',
            DataFormatError,
            "no category with keypoints",
        ),
    ],
)
def test_bad_coco_files_raise(tmp_path, content, error, match):
    (tmp_path / "l.json").write_text(content)
    with pytest.raises(error, match=match):
        read_labels(tmp_path / "l.json")


def _coco(**changes):
    data = {
        "images": [{"id": 1, "file_name": "x.png"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "keypoints": [1, 1, 2, 2, 2, 2]}
        ],
        "categories": [{"id": 1, "name": "i", "keypoints": ["a", "b"], "skeleton": [[1, 2]]}],
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        (
            {"annotations": [{"id": 1, "image_id": 9, "category_id": 1, "keypoints": [0] * 6}]},
            "unknown image",
        ),
        (
            {"annotations": [{"id": 1, "image_id": 1, "category_id": 1, "keypoints": [0] * 9}]},
            "expected 3 × 2",
        ),
        (
            {"categories": [{"id": 1, "name": "i", "keypoints": ["a", "b"], "skeleton": [[0, 1]]}]},
            "1-based",
        ),
        ({"annotations": []}, "no annotated images"),
    ],
)
def test_coco_content_errors(tmp_path, changes, match):
    (tmp_path / "l.json").write_text(json.dumps(_coco(**changes)))
    with pytest.raises(DataValueError, match=match):
        read_labels(tmp_path / "l.json")


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        (["a,b", "c,d", "e,f"], "not a DeepLabCut CSV"),
        (["scorer,me,me", "individuals,i,i", "bodyparts,n,n", "coords,x,y"], "multi-animal"),
        (["scorer,me,me", "bodyparts,n,n", "coords,x,z", "img.png,1,2"], "columns"),
        (["scorer,me,me", "bodyparts,n,n", "coords,x,y", "img.png,1,oops"], "non-number"),
        (["scorer,me,me", "bodyparts,n,n", "coords,x,y", "img.png,1"], "cells"),
    ],
)
def test_bad_dlc_files_raise(tmp_path, rows, match):
    (tmp_path / "l.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(DataFormatError, match=match):
        read_labels(tmp_path / "l.csv")


def test_missing_files_unknown_suffix_and_missing_images(tmp_path):
    with pytest.raises(DataFormatError, match="do not exist"):
        read_labels(tmp_path / "none.json")
    with pytest.raises(DataFormatError, match="does not exist"):
        read_labels(tmp_path / "none.csv")
    with pytest.raises(DataFormatError, match=r"COCO keypoint \.json or a DeepLabCut \.csv"):
        read_labels(tmp_path / "labels.txt")
    with pytest.raises(DataFormatError, match="labelled image"):
        _labels(tmp_path).load_images()
    with pytest.raises(DataValueError, match="shape"):
        PoseLabels(["a.png"], np.zeros((1, 2, 2)), NAMES)
