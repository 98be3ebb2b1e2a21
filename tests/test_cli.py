"""The barenet command, on a tiny generated MNIST look-alike.

Most tests call ``cli.main`` in-process and read what it printed (capsys); the few that need a
real process (a closed pipe, Ctrl-C, the installed entry point) run ``python -m barenet``.
"""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from _helpers import idx_bytes
from barenet import cli, datasets, fetch

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


def barenet(*args, cwd=None, env=None, check=True, **streams):
    """`python -m barenet ARGS` in a subprocess; its stdout and stderr captured unless given."""
    result = subprocess.run(
        [sys.executable, "-m", "barenet", *map(str, args)],
        **({"stdout": subprocess.PIPE, "stderr": subprocess.PIPE} | streams),
        text=True,
        cwd=cwd,
        env={**os.environ, "BARENET_DATA": "/nonexistent", **(env or {})},
        timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def run(capsys, *args):
    """`barenet ARGS` in-process: (exit status, stdout, stderr); a usage error is status 2."""
    try:
        status = cli.main([str(a) for a in args])
    except SystemExit as exit:
        status = exit.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def no_mnist(monkeypatch):
    """Fails the test if the command reads MNIST: its arguments must be checked first."""

    def load_mnist(*args, **kwargs):
        raise AssertionError("MNIST was loaded before the arguments were checked")

    monkeypatch.setattr(datasets, "load_mnist", load_mnist)


@pytest.fixture(scope="module")
def model_file(tiny_mnist, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "new-dir" / "tiny.safetensors"  # made by train
    args = ["train", "--data", tiny_mnist, "--layers", "784,32:relu,10:softmax", "--epochs", "3",
            "--batch-size", "32", "--out", out]  # fmt: skip
    assert cli.main([str(a) for a in args]) == 0
    return out


def png(tmp_path, name: str, pixels: np.ndarray) -> Path:
    pytest.importorskip("PIL")
    from barenet.images import to_png

    to_png(pixels, tmp_path / name, scale=4)
    return tmp_path / name


def a_one() -> np.ndarray:
    digit = np.zeros((28, 28))
    digit[6:22, 12:16] = 1.0
    return digit


# ------------------------------------------------------------------------------- arguments


def test_help_shows_every_default_and_describes_the_positional_arguments():
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) >= {"train", "evaluate", "predict", "explain", "info", "serve"}
    for name, sub in commands.choices.items():
        formatter = sub.formatter_class(prog=name)
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction) or action.nargs == 0:
                continue  # -h and flags such as --post, --resume, --debug: off unless given
            text = formatter._get_help_string(action) or ""
            if action.option_strings:
                assert "default" in text, f"{name} {action.option_strings[0]}: {text!r}"
            else:
                assert text, f"{name} {action.dest}: no help"
        help_text = sub.format_help()
        assert "%(" not in help_text and "%%" not in help_text
    train = commands.choices["train"].format_help()
    assert "(default: 5; 1000 with --post" in " ".join(train.split())  # from the recipes


@pytest.mark.parametrize(
    "argv", [["--debug", "info", "m"], ["info", "m", "--debug"], ["info", "--debug", "m"]]
)
def test_debug_goes_before_or_after_the_command(argv):
    assert cli.build_parser().parse_args(argv).debug is True
    assert cli.build_parser().parse_args(["info", "m"]).debug is False


@pytest.mark.parametrize(
    "args, message",
    [
        (["--epochs", "0"], "argument --epochs: must be a whole number >= 1; received '0'"),
        (["--epochs", "many"], "argument --epochs: must be a whole number >= 1"),
        (["--batch-size", "-3"], "argument --batch-size: must be a whole number >= 1"),
        (["--learning-rate", "0"], "argument --learning-rate: must be a number > 0"),
        (["--learning-rate", "nan"], "argument --learning-rate: must be a number > 0"),
        (["--dropout", "1"], "argument --dropout: must be a fraction in [0, 1)"),
        (["--dropout", "1.5"], "argument --dropout: must be a fraction in [0, 1)"),
        (["--seed", "-1"], "argument --seed: must be a whole number >= 0"),
        (["--layers", "784"], "--layers needs the input size and at least one layer"),
        (
            ["--layers", "784,1e3:relu,10"],
            "argument --layers: --layers entry '1e3:relu': the size must be a whole number >= 1",
        ),
        (["--layers", "100,16,10"], "--layers must start with 784, the pixels of an MNIST"),
        (["--layers", "784,16,5"], "--layers must end with 10 units, one per digit; received 5"),
        (["--out", "model.npz"], "--out must name a .safetensors file; received 'model.npz'"),
        (["--resume"], "--resume needs --checkpoint-dir"),
    ],
)
def test_train_arguments_are_checked_before_mnist_is_loaded(capsys, no_mnist, args, message):
    status, _, err = run(capsys, "train", *args)
    assert status == 2 and message in err, err
    assert err.startswith("usage: barenet train") and "Traceback" not in err


def test_a_missing_checkpoint_is_found_before_mnist_is_loaded(capsys, no_mnist, tmp_path):
    status, _, err = run(capsys, "train", "--checkpoint-dir", tmp_path, "--resume")
    assert status == 1 and err == f"error: train: --resume: no checkpoint in {tmp_path} to resume\n"


def test_other_usage_errors_exit_2(capsys):
    assert run(capsys, "frobnicate")[0] == 2
    assert run(capsys)[0] == 2
    status, _, err = run(capsys, "serve", "m.safetensors", "--port", "70000")
    assert status == 2 and "a port number in 1..65535" in err


# -------------------------------------------------------------------------------------- train


def test_train_saves_a_model_that_learned(model_file):
    from barenet import load

    model = load(model_file)
    assert model.layers[1].size == 32 and model.training_summary["final"]["val_accuracy"] > 0.5


def test_train_post_shows_one_progress_bar_over_iterations(capsys, tiny_mnist, tmp_path):
    pytest.importorskip("tqdm")
    status, out, err = run(capsys, "train", "--data", tiny_mnist, "--post", "--epochs", 20,
                           "--out", tmp_path / "post.safetensors")  # fmt: skip
    assert status == 0, err
    totals = re.findall(r"\d+/(\d+) \[", err)  # tqdm's "done/total [elapsed..."
    assert totals and set(totals) == {"20"}, err  # one bar, over the 20 iterations
    assert "20/20" in err and "iteration/s" in err and "loss " in err
    assert "(post recipe, 20 iterations)" in out
    assert re.search(r"^iteration 2/20 - loss \d\.\d{4} - accuracy .* - test_accuracy ", out, re.M)
    assert "val_" not in out  # in this run the validation data is the test set: said so


def test_resume_says_which_epoch_it_resumes_from(capsys, tiny_mnist, tmp_path):
    from barenet import load

    def train(epochs, *extra):
        return run(capsys, "train", "--data", tiny_mnist, "--layers", "784,16,10", "--epochs",
                   epochs, "--checkpoint-dir", tmp_path / "ckpt", "--out",
                   tmp_path / "m.safetensors", *extra)  # fmt: skip

    assert train(2)[0] == 0
    assert (tmp_path / "ckpt" / "checkpoint.npz").is_file()
    status, out, err = train(3, "--resume")  # runs only the third epoch
    assert status == 0, err
    ckpt = tmp_path / "ckpt" / "checkpoint.npz"
    assert f"resuming from {ckpt}: 2 of 3 epochs done, continuing with epoch 3" in out
    assert "epoch 1/3" not in out and "epoch 3/3 - loss" in out
    if "it/s" in err or "batch/s" in err:  # tqdm's bar: it starts at the 2 x 3 batches done
        assert "| 6/9 [" in err and "| 0/9 [" not in err
    assert load(tmp_path / "m.safetensors").training_summary["epochs"] == 3
    status, out, _ = train(3, "--resume")
    assert status == 0 and "all 3 epochs are done already" in out


def test_a_divergence_error_starts_on_its_own_line(capsys, tiny_mnist, tmp_path):
    status, _, err = run(capsys, "train", "--data", tiny_mnist, "--layers", "784,16,10",
                           "--optimizer", "sgd", "--learning-rate", "1e30",
                           "--out", tmp_path / "m.safetensors")  # fmt: skip
    assert status == 1
    lines = err.split("\n")  # NOTE: not splitlines(): a bar's "\r" must not count as a line end
    diverged = [line for line in lines if "diverged" in line]
    assert len(diverged) == 1 and diverged[0].startswith("error: train: training diverged at ")
    assert "Traceback" not in err and not (tmp_path / "m.safetensors").exists()


def test_train_fetches_mnist_saying_so_when_it_is_missing(
    capsys, monkeypatch, tiny_mnist, tmp_path
):
    found = datasets.load_mnist(tiny_mnist)
    calls = []

    def load_mnist(path=None, *, download=True):
        calls.append(download)
        if len(calls) == 1:
            raise datasets.DataError("MNIST not found")
        return found

    monkeypatch.setattr(datasets, "load_mnist", load_mnist)
    monkeypatch.setattr(cli.data, "fetch_mnist_verbosely", lambda: calls.append("fetched"))
    status, out, err = run(capsys, "train", "--layers", "784,8,10", "--epochs", 1,
                           "--out", tmp_path / "m.safetensors")  # fmt: skip
    assert status == 0, err
    assert calls == [False, "fetched", False]
    assert out.startswith("MNIST is not in the cache (or not intact there): fetching it first\n")


# ------------------------------------------------------------------------------- using a model


def test_info_prints_the_training_summary_as_aligned_lines(capsys, model_file):
    status, out, _ = run(capsys, "info", model_file)
    assert status == 0
    assert "784" in out and "ReLU()" in out and "25450 parameters, float32" in out
    training = out.split("\ntraining\n")[1].splitlines()
    assert training[:3] == ["  epochs      3", "  samples     300", "  batch size  32"]
    assert any(re.fullmatch(r"  optimizer   adam \(learning rate cosine_decay .*", line)
               for line in training)  # fmt: skip
    assert any(re.fullmatch(r"  time        \d\S* s", line) for line in training)
    assert re.search(r"^  final       loss \d\.\d+, accuracy ", out, re.M)
    assert "{" not in out and "'" not in out  # no Python dicts


def test_evaluate(capsys, model_file, tiny_mnist):
    status, out, _ = run(capsys, "evaluate", model_file, "--data", tiny_mnist)
    assert status == 0 and "accuracy: " in out and "on 100 test images" in out
    assert "confusion matrix" in out and "precision" in out


def kaggle_csv(path: Path, labels=None) -> Path:
    pixels = "pixel" + ",pixel".join(str(i) for i in range(784))
    rows = [",".join(["0"] * 784), ",".join(["255"] * 784)]
    if labels is not None:
        pixels = "label," + pixels
        rows = [f"{label},{row}" for label, row in zip(labels, rows, strict=True)]
    path.write_text("\n".join([pixels, *rows]) + "\n")
    return path


def test_predict_csv_writes_a_kaggle_submission(capsys, model_file, tmp_path):
    out = tmp_path / "my-submission.csv"
    status, text, _ = run(capsys, "predict", model_file, "--csv", kaggle_csv(tmp_path / "t.csv"),
                          "--out", out)  # fmt: skip
    assert status == 0 and text == f"wrote 2 predictions to {out}\n"
    lines = out.read_text().splitlines()
    assert lines[0] == "ImageId,Label" and [line.split(",")[0] for line in lines[1:]] == ["1", "2"]


def test_predict_csv_without_out_writes_submission_csv_and_says_so(
    capsys, model_file, tmp_path, monkeypatch
):
    from barenet import load

    monkeypatch.chdir(tmp_path)
    labels = load(model_file).predict(np.array([[0.0] * 784, [1.0] * 784]))
    train_csv = kaggle_csv(tmp_path / "train.csv", labels=[labels[0], (labels[1] + 1) % 10])
    status, text, _ = run(capsys, "predict", model_file, "--csv", train_csv)
    assert status == 0
    assert text.splitlines() == [
        f"accuracy 0.5000 on the 2 labelled rows of {train_csv}",  # one of the two is right
        "wrote 2 predictions to submission.csv (no --out given)",
    ]
    assert (tmp_path / "submission.csv").read_text().startswith("ImageId,Label\n1,")


def test_predict_reports_every_image_and_fails_at_the_end(capsys, model_file, tmp_path):
    one = png(tmp_path, "one.png", a_one())
    (tmp_path / "notes.png").write_text("not a picture")
    missing = tmp_path / "missing.png"
    status, out, err = run(capsys, "predict", model_file, missing, one, tmp_path / "notes.png",
                           one)  # fmt: skip
    assert status == 1
    assert out.startswith(f"{one}: ") and out.count(f"{one}: ") == 2 and "probability" in out
    lines = err.splitlines()
    assert len(lines) == 3 and all(line.startswith("error: predict: ") for line in lines)
    assert str(missing) in lines[0] and "notes.png" in lines[1]
    assert lines[2] == "error: predict: 2 of 4 images could not be read"


def test_predict_and_explain_warn_when_the_ink_is_too_small(capsys, model_file, tmp_path):
    dot = np.zeros((28, 28))
    dot[13:15, 13:15] = 1.0
    path = png(tmp_path, "dot.png", dot)
    status, out, err = run(capsys, "predict", model_file, path)
    assert status == 0 and re.match(rf"{re.escape(str(path))}: \d\n", out)
    assert err.startswith(f"warning: {path}: too small: the ink spans ")
    assert "draw bigger" in err and err.rstrip().endswith("the label is a guess")
    status, out, err = run(capsys, "explain", model_file, path)
    assert status == 0 and "too small" in err
    assert run(capsys, "predict", model_file, png(tmp_path, "one.png", a_one()))[2] == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (["one.png", "--out", "s.csv"], "--out names the file that --csv writes"),
        (["one.png", "--csv", "t.csv"], "give IMAGE files or --csv FILE, not both"),
        ([], "give one or more IMAGE files, or --csv FILE"),
    ],
)
def test_predict_refuses_arguments_it_would_ignore(capsys, no_mnist, args, message):
    status, _, err = run(capsys, "predict", "model.safetensors", *args)
    assert status == 2 and message in err


# ----------------------------------------------------------------------------------- failures


def test_errors_are_one_line_and_exit_1(capsys, tmp_path):
    status, _, err = run(capsys, "info", tmp_path / "missing.safetensors")
    assert status == 1 and len(err.splitlines()) == 1
    assert err.startswith("error: info: ") and "no such model file" in err
    for argv in (
        ["--debug", "info", tmp_path / "missing"],
        ["info", tmp_path / "missing", "--debug"],
    ):
        with pytest.raises(ValueError, match="no such model file"):  # a ModelFileError
            cli.main([str(a) for a in argv])


def test_an_unexpected_exception_is_one_line_without_debug(capsys, monkeypatch, model_file):
    from barenet import saving

    class SafetensorError(Exception):
        pass

    def load(path):
        raise SafetensorError("Error while deserializing header: HeaderTooLarge")

    monkeypatch.setattr(saving, "load", load)
    status, out, err = run(capsys, "info", model_file)
    assert status == 1 and out == ""
    assert err == (
        "error: info: unexpected SafetensorError: Error while deserializing header: "
        "HeaderTooLarge (run with --debug for the traceback)\n"
    )
    with pytest.raises(SafetensorError):
        cli.main(["info", str(model_file), "--debug"])


def test_piping_into_head_never_prints_broken_pipe(model_file):
    for args in (["info", model_file], ["predict", "--help"]):
        read, write = os.pipe()
        os.close(read)  # the reader is gone before the first line: every write fails
        try:
            result = barenet(*args, stdout=write, stderr=subprocess.PIPE, check=False)
        finally:
            os.close(write)
        assert result.stderr == "", result.stderr
        # as Python itself exits on a broken pipe (argparse's --help ignores write errors)
        assert result.returncode == (1 if args[0] == "info" else 0)


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
    interrupted = f"interrupted: the last completed epoch is in {ckpt / 'checkpoint.npz'}"
    assert interrupted in stderr.split("\n")[-2]  # on a line of its own, after the bar
    assert "continue with --resume" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "m.safetensors").exists()
    assert sorted(p.name for p in ckpt.iterdir()) == ["checkpoint.npz"]  # no temp file left


# --------------------------------------------------------------------------------------- data


def test_data_path(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("BARENET_DATA", str(tmp_path))
    assert run(capsys, "data", "path")[1].strip() == str(tmp_path)


def test_data_fetch_says_what_from_where_with_a_bar_and_what_it_verified(
    capsys, monkeypatch, tmp_path
):
    pytest.importorskip("tqdm")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(fetch, "MIRRORS", ("https://mirror-one.invalid/mnist/",))
    cache = tmp_path / "barenet"
    cache.mkdir()
    (cache / datasets.MNIST_FILES[3]).write_bytes(b"L" * 10)  # one file is already there
    calls = []

    def fetch_mnist(where, *, progress):  # the real one downloads; this one only reports
        calls.append(where)
        for name in datasets.MNIST_FILES[:3]:
            for done in (2**20, 2**21):
                progress(name, done, 2**21)
            (where / name).write_bytes(b"x" * 1000)
        return where

    monkeypatch.setattr(fetch, "fetch_mnist", fetch_mnist)
    status, out, err = run(capsys, "data", "fetch")
    assert status == 0 and calls == [cache]
    missing = ", ".join(f"{name}.gz" for name in datasets.MNIST_FILES[:3])
    assert f"into {cache}\ndownloading {missing}\n" in out
    assert "from the first of these that answers: https://mirror-one.invalid/mnist/\n" in out
    assert f"checking {datasets.MNIST_FILES[3]}, already there" in out
    assert "verified: each file's sha256 is the pinned one\n" in out
    for name in datasets.MNIST_FILES:
        size = 10 if name == datasets.MNIST_FILES[3] else 1000
        assert re.search(rf"^  {name} +{size:,} bytes  sha256 [0-9a-f]{{16}}\.\.\.$", out, re.M)
    assert out.endswith(f"MNIST is in {cache}\n")
    for name in datasets.MNIST_FILES[:3]:  # a bar per download, on stderr
        assert re.search(rf"{name}\.gz: 100%\|.*\| 2\.00M/2\.00M \[", err), err


def test_serve_is_a_command(capsys):
    status, out, _ = run(capsys, "serve", "--help")
    assert status == 0 and "--host" in out and "--port" in out
    status, _, err = run(capsys, "serve", "/nonexistent/model.safetensors")
    assert status == 1 and "no such model file" in err


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
    assert "784" in info.stdout and re.search(r"^  epochs +1$", info.stdout, re.M)


def test_a_diverging_train_saves_nothing_and_exits_1_with_one_line(tiny_mnist, tmp_path):
    out = tmp_path / "diverged.safetensors"
    result = barenet(
        "train", "--data", tiny_mnist, "--layers", "784,16:relu,10:softmax",
        "--optimizer", "sgd", "--learning-rate", "1000", "--epochs", "2",
        "--batch-size", "32", "--out", out, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: train: training diverged at epoch 1, batch ")
    assert "over 1000 times its starting level" in lines[-1] and "Try a lower" in lines[-1]
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_train_refuses_another_formats_out_before_loading_mnist(tmp_path):
    # no data there: had MNIST been looked for first, that would be the error
    args = ("--data", tmp_path / "no-mnist", "--out", tmp_path / "model.npz")
    result = barenet("train", *args, check=False)
    assert result.returncode == 2
    assert "save it as" in result.stderr and "model.safetensors" in result.stderr
    assert list(tmp_path.iterdir()) == []
