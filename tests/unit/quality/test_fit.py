"""A problem type that does not fit the labels is a specific error."""

import numpy as np
import pytest

from sagewatch.errors import InvalidParameterError
from sagewatch.quality.fit import check_problem_fit


def test_binary_labels_not_among_the_predicted_classes():
    with pytest.raises(InvalidParameterError, match=r"ground truth holds 'no', 'yes' and the predictions hold "
                                                    r"'0', '1': the labels are not among the predicted classes"):
        check_problem_fit("BinaryClassification", np.array(["yes", "no"]), np.array(["1", "0"]))


def test_binary_given_three_classes():
    with pytest.raises(InvalidParameterError, match="use MulticlassClassification"):
        check_problem_fit("BinaryClassification", np.array(["0", "1", "2"]), np.array(["0", "1", "1"]))


def test_binary_without_the_positive_class():
    with pytest.raises(InvalidParameterError, match="positive_label '1' is not one of the two classes 'a', 'b'"):
        check_problem_fit("BinaryClassification", np.array(["a", "b"]), np.array(["b", "a"]))
    check_problem_fit("BinaryClassification", np.array(["a", "b"]), np.array(["b", "a"]), positive_label="a")
    check_problem_fit("BinaryClassification", np.array(["0", "0"]), np.array(["0", "0"]))  # one class: fine


def test_multiclass_given_a_regression_target():
    values = np.random.default_rng(0).normal(size=500).round(6).astype(str)
    with pytest.raises(InvalidParameterError, match="numeric labels this varied are a Regression target"):
        check_problem_fit("MulticlassClassification", values, values)
    classes = np.array([str(i % 150) for i in range(1000)])
    check_problem_fit("MulticlassClassification", classes, classes)  # many classes, each repeated: fine
