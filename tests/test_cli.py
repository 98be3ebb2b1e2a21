"""The barenet command, run as a subprocess on a tiny generated MNIST look-alike."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from _helpers import idx_bytes

pytest.importorskip("safetensors")


def write_idx(path: Path, array: np.ndarray) -> None:
    path.write_bytes(idx_bytes(array.astype(np.uint8)))


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory) -> Path:
    """300 training and 100 test 'digits': each class a fixed blob pattern plus noise."""
    directory = tmp_path_factory.mktemp("mnist")
    rng = np.random.default_rng(0)
    patterns = rng.random((10, 28, 28)) > 0.7
    for split, n in (("train", 300), ("t10k", 100)):
        labels = np.arange(n) % 10
        noise = rng.random((n, 28, 28)) > 0.9
        images = np.where(patterns[labels] ^ noise, 255, 0)
        write_idx(directory / f"{split}-images-idx3-ubyte", images)
        write_idx(directory / f"{split}-labels-idx1-ubyte", labels)
    return directory


def barenet(*args, cwd=None, env=None, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "barenet", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "BARENET_DATA": "/nonexistent", **(env or {})},
        timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def model_file(tiny_mnist, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "new-dir" / "tiny.safetensors"  # made by train
    result = barenet(
        "train",
        "--data",
        tiny_mnist,
        "--layers",
        "784,32:relu,10:softmax",
        "--epochs",
        "3",
        "--batch-size",
        "32",
        "--out",
        out,
    )
    assert "test accuracy" in result.stdout and f"model saved to {out}" in result.stdout
    return out


def test_train_saves_a_model_that_learned(model_file):
    from barenet import load

    assert load(model_file).layers[1].size == 32


def test_info(model_file):
    out = barenet("info", model_file).stdout
    assert "784" in out and "ReLU()" in out and "25450 parameters, float32" in out
    assert "epochs: 3" in out


def test_evaluate(model_file, tiny_mnist):
    out = barenet("evaluate", model_file, "--data", tiny_mnist).stdout
    assert "accuracy: " in out and "on 100 test images" in out
    assert "confusion matrix" in out and "precision" in out


def test_predict_csv_writes_a_kaggle_submission(model_file, tmp_path):
    header = "pixel" + ",pixel".join(str(i) for i in range(784))
    rows = [",".join(["0"] * 784), ",".join(["255"] * 784)]
    (tmp_path / "test.csv").write_text("\n".join([header, *rows]) + "\n")
    out = tmp_path / "submission.csv"
    barenet("predict", model_file, "--csv", tmp_path / "test.csv", "--out", out)
    lines = out.read_text().splitlines()
    assert lines[0] == "ImageId,Label" and [line.split(",")[0] for line in lines[1:]] == ["1", "2"]


def test_predict_images(model_file, tmp_path):
    pytest.importorskip("PIL")
    from barenet.images import to_png

    digit = np.zeros((28, 28))
    digit[6:22, 12:16] = 1.0  # a "1"
    to_png(digit, tmp_path / "one.png", scale=4)
    out = barenet("predict", model_file, tmp_path / "one.png").stdout
    assert out.startswith(f"{tmp_path / 'one.png'}: ") and "probability" in out


def test_errors_are_one_line_and_exit_1(tmp_path):
    result = barenet("info", tmp_path / "missing.safetensors", check=False)
    assert result.returncode == 1
    assert (
        result.stderr.strip().startswith("error: info: ") and "no such model file" in result.stderr
    )
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    debug = barenet("--debug", "info", tmp_path / "missing.safetensors", check=False)
    assert "Traceback" in debug.stderr


def test_usage_errors_exit_2(tiny_mnist):
    assert barenet("train", "--epochs", "many", check=False).returncode == 2
    assert barenet("train", "--resume", check=False).returncode == 2
    bad = barenet("train", "--layers", "784", check=False)
    assert bad.returncode == 2 and "--layers needs the input size" in bad.stderr
    assert barenet("frobnicate", check=False).returncode == 2


def test_resume_continues_from_the_checkpoint(tiny_mnist, tmp_path):
    from barenet import load

    def train(epochs, *extra, check=True):
        return barenet(
            "train",
            "--data",
            tiny_mnist,
            "--layers",
            "784,16,10",
            "--epochs",
            epochs,
            "--checkpoint-dir",
            tmp_path / "ckpt",
            "--out",
            tmp_path / "m.safetensors",
            *extra,
            check=check,
        )

    missing = train(2, "--resume", check=False)
    assert missing.returncode == 1 and "no checkpoint in" in missing.stderr
    train(2)
    assert (tmp_path / "ckpt" / "checkpoint.npz").is_file()
    train(3, "--resume")  # runs only the third epoch
    assert load(tmp_path / "m.safetensors").training_summary["epochs"] == 3


def test_data_path(tmp_path):
    out = barenet("data", "path", env={"BARENET_DATA": str(tmp_path)}).stdout
    assert out.strip() == str(tmp_path)


def test_ctrl_c_during_train_saves_the_checkpoint_and_exits_130(tiny_mnist, tmp_path):
    import signal
    import time

    def default_sigint():
        # NOTE: a shell starts background jobs (CI may be one) with SIGINT ignored, and Python
        # then installs no KeyboardInterrupt handler; give the child the default disposition.
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    ckpt = tmp_path / "ckpt"
    with open(tmp_path / "out.txt", "w") as out, open(tmp_path / "err.txt", "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "barenet", "train", "--data", str(tiny_mnist), "--layers",
             "784,16,10", "--epochs", "100000", "--checkpoint-dir", str(ckpt),
             "--out", str(tmp_path / "m.safetensors")],
            stdout=out, stderr=err, preexec_fn=default_sigint,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while not (ckpt / "checkpoint.npz").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # let it be inside a later epoch
        proc.send_signal(signal.SIGINT)
        returncode = proc.wait(timeout=60)
    stderr = (tmp_path / "err.txt").read_text()
    assert returncode == 130, stderr[-2000:]
    assert f"the last completed epoch is in {ckpt / 'checkpoint.npz'}" in stderr
    assert "continue with --resume" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "m.safetensors").exists()
    assert sorted(p.name for p in ckpt.iterdir()) == ["checkpoint.npz"]  # no temp file left


@pytest.mark.mnist
def test_the_main_job_on_real_mnist_with_one_epoch(mnist, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "BARENET_DATA"}
    result = subprocess.run(
        [sys.executable, "-m", "barenet", "train", "--epochs", "1",
         "--out", str(tmp_path / "model.safetensors"), "--plots", str(tmp_path / "plots")],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    accuracy = float(result.stdout.split("test accuracy ")[1].split()[0])
    assert accuracy > 0.95
    assert len(list((tmp_path / "plots").glob("*.png"))) == 5
    info = subprocess.run(
        [sys.executable, "-m", "barenet", "info", str(tmp_path / "model.safetensors")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert "784" in info.stdout and "epochs: 1" in info.stdout


def test_serve_is_a_command():
    result = barenet("serve", "--help")
    assert "--host" in result.stdout and "--port" in result.stdout
    missing = barenet("serve", "/nonexistent/model.safetensors", check=False)
    assert missing.returncode == 1 and "no such model file" in missing.stderr


def test_dropout_with_custom_layers_is_checked(tiny_mnist):
    bad = barenet("train", "--data", tiny_mnist, "--layers", "784,16,10", "--dropout", "1.5",
                  check=False)  # fmt: skip
    assert bad.returncode == 1 and "dropout must be in [0, 1); received 1.5" in bad.stderr


def test_train_refuses_another_formats_out_before_loading_mnist(tmp_path):
    # no data there: had MNIST been looked for first, that would be the error
    args = ("--data", tmp_path / "no-mnist", "--out", tmp_path / "model.npz")
    result = barenet("train", *args, check=False)
    assert result.returncode == 1
    assert "save it as" in result.stderr and "model.safetensors" in result.stderr
    assert list(tmp_path.iterdir()) == []
