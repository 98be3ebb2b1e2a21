"""The workbook (barenet.exercises): writing it, grading it, and training with the learner's code.

The blank workbook fails every exercise, the solved one passes, and every mistake of the
catalogue below, planted in the solved workbook, gets the hint that names it. Grading runs in a
child process; most tests here call the checks in-process (``run_check``) to stay fast, and a
few go through the child (``check``) and the command line.
"""

from __future__ import annotations

import stat
from pathlib import Path

import numpy as np
import pytest

from _helpers import idx_bytes
from barenet import cli
from barenet.exercises import EXERCISES, WorkbookError, check, render, train, write
from barenet.exercises.catalogue import BY_KEY, FILES
from barenet.exercises.checks import CHECKS, run_check
from barenet.exercises.kit import Workbook
from barenet.exercises.workbook import render_file

# ------------------------------------------------------------------ the catalogue of mistakes

BACKWARD = """grads = {{}}
for l in range({range}):
    grads[f"W{{l}}"] = {dW}
    grads[f"b{{l}}"] = {db}
    if l > 1:
        below = cache[l - 2]
        da = dz @ params[f"W{{l}}"].T
        dz = {derive}
return grads"""
BACKWARD_OK = {
    "range": "len(activations), 0, -1",
    "dW": "cache[l - 1].x.T @ dz",
    "db": "dz.sum(axis=0)",
    "derive": "activations[l - 2].derive(da, below.z, below.a)",
}
FORWARD = """cache = []
x = X
for l, activation in enumerate(activations, start=1):
    z = {z}
    a = activation.activate(z)
    cache.append(Step({x}, z, a))
    x = a
return x, cache"""
ADAM = """for key, p in params.items():
    g = grads[key]
    m[key] = beta1 * m[key] + (1 - beta1) * g
    v[key] = beta2 * v[key] + (1 - beta2) * {g2}
    m_hat = {m_hat}
    v_hat = {v_hat}
    p -= learning_rate * m_hat / ({root})"""
ADAM_OK = {
    "g2": "g**2",
    "m_hat": "m[key] / (1 - beta1**t)",
    "v_hat": "v[key] / (1 - beta2**t)",
    "root": "np.sqrt(v_hat) + eps",
}


def backward(**change: str) -> str:
    return BACKWARD.format(**{**BACKWARD_OK, **change})


def adam(**change: str) -> str:
    return ADAM.format(**{**ADAM_OK, **change})


def momentum(v: str, step: str = "p -= learning_rate * velocity[key]") -> str:
    return f"for key, p in params.items():\n    {v}\n    {step}"


#: (exercise, the learner's code, words the hint must contain); the first mistake of each
#: exercise is also planted, all at once, in one workbook graded through the child process
MISTAKES = [
    ("relu_activate", "return np.max(z, 0)", "np.max reduces"),
    ("relu_activate", "z[z < 0] = 0\nreturn z", "changed z in place"),
    ("relu_activate", "return np.abs(z)", "not into |z|"),
    ("relu_derive", "return da", "the mask is missing"),
    ("relu_derive", "return z > 0", "multiply by da"),
    ("sigmoid_activate", "return 1 / (1 + np.exp(z))", "a sign"),
    ("sigmoid_activate", "return np.exp(z) / (1 + np.exp(z))", "exp overflows"),
    ("sigmoid_derive", "return da * z * (1 - z)", "from z where a belongs"),
    ("sigmoid_derive", "return a * (1 - a)", "multiply by da"),
    ("tanh_activate", "return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))", "overflow"),
    ("tanh_derive", "return da * (1 - a)", "squares a"),
    ("tanh_derive", "return da * (1 - z**2)", "from z where a belongs"),
    ("softmax_activate", "e = np.exp(z)\nreturn e / e.sum(axis=1, keepdims=True)", "overflow"),
    (
        "softmax_activate",
        "e = np.exp(z - z.max(axis=1, keepdims=True))\nreturn e / e.sum(axis=0, keepdims=True)",
        "wrong axis",
    ),
    (
        "softmax_activate",
        "e = np.exp(z - z.max(axis=1, keepdims=True))\nreturn e / e.sum(axis=1)",
        "keepdims=True",
    ),
    (
        "softmax_activate",
        "e = np.exp(z - z.max())\nreturn e / e.sum(axis=1, keepdims=True)",
        "each row's own max",
    ),
    ("forward", FORWARD.format(z='x @ params[f"W{l}"]', x="x"), "the bias is missing"),
    (
        "forward",
        FORWARD.format(z='params[f"W{l}"] @ x + params[f"b{l}"]', x="x"),
        "rows are samples",
    ),
    (
        "forward",
        FORWARD.format(z='x @ params[f"W{l}"] + params[f"b{l}"]', x="a"),
        "must hold the layer's input",
    ),
    ("output_delta", "return a - Y", "a factor of n"),
    ("output_delta", "return (Y - a) / len(z)", "a sign"),
    ("output_delta", "return (a - Y) / a.size", "n * k"),
    ("output_delta", "return -Y / a / len(z)", "that is dL/da"),
    ("backward", backward(derive="da"), "derivative is missing"),
    (
        "backward",
        backward(derive="activations[l - 1].derive(da, below.z, below.a)"),
        "wrong layer's activation",
    ),
    ("backward", backward(dW="dz.T @ cache[l - 1].x"), "the transpose"),
    ("backward", backward(dW="cache[l - 1].a.T @ dz"), "not its output a"),
    ("backward", backward(db="dz.sum(axis=1)"), "one number per sample"),
    ("backward", backward(db="dz.mean(axis=0)"), "a factor of n"),
    ("backward", backward(range="len(activations), 1, -1"), "stops before layer 1"),
    (
        "backward",
        backward(derive="activations[l - 2].derive(da, below.z, below.z)"),
        "layers above it are right",
    ),
    ("sgd_step", "for key, p in params.items():\n    p += learning_rate * grads[key]", "a sign"),
    (
        "sgd_step",
        "for key, p in params.items():\n    p = p - learning_rate * grads[key]",
        "params did not change",
    ),
    ("sgd_step", "for key, p in params.items():\n    p -= grads[key]", "learning rate is missing"),
    (
        "momentum_step",
        momentum("v = momentum * velocity[key] + grads[key]", "p -= learning_rate * v"),
        "velocity was not kept",
    ),
    (
        "momentum_step",
        momentum("velocity[key] = momentum * velocity[key] + (1 - momentum) * grads[key]"),
        "running average",
    ),
    ("momentum_step", momentum("velocity[key] = velocity[key] + grads[key]"), "does not fade"),
    (
        "momentum_step",
        momentum(
            "velocity[key] = momentum * velocity[key] - learning_rate * grads[key]",
            "p += velocity[key]",
        ),
        "Keras's form",
    ),
    ("adam_step", adam(m_hat="m[key]", v_hat="v[key]"), "missing bias-correction"),
    ("adam_step", adam(root="np.sqrt(v_hat + eps)"), "outside the square root"),
    ("adam_step", adam(root="np.sqrt(v_hat)"), "eps is missing"),
    ("adam_step", adam(root="v_hat + eps"), "square root of v_hat"),
    ("adam_step", adam(g2="g"), "the squared gradient"),
    (
        "adam_step",
        adam(m_hat="m[key] / (1 - beta1**(t - 1))", v_hat="v[key] / (1 - beta2**(t - 1))"),
        "t counts from 1",
    ),
    (
        "adam_step",
        "for key, p in params.items():\n    g = grads[key]\n"
        "    mk = beta1 * m[key] + (1 - beta1) * g\n    vk = beta2 * v[key] + (1 - beta2) * g**2\n"
        "    p -= learning_rate * (mk / (1 - beta1**t)) / (np.sqrt(vk / (1 - beta2**t)) + eps)",
        "m and v were not kept",
    ),
    (
        "he_normal",
        "return rng.normal(0.0, 2.0 / fan_in, size=(fan_in, fan_out))",
        "the scale of rng.normal is the standard deviation",
    ),
    (
        "he_normal",
        "return np.random.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))",
        "same seed",
    ),
    (
        "he_normal",
        "return rng.normal(0.0, np.sqrt(2.0 / fan_out), size=(fan_in, fan_out))",
        "not fan_out",
    ),
    (
        "he_normal",
        "return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_out, fan_in))",
        "that is (fan_out, fan_in)",
    ),
    (
        "he_normal",
        "limit = np.sqrt(6.0 / fan_in)\nreturn rng.uniform(-limit, limit, size=(fan_in, fan_out))",
        "draw from rng.normal",
    ),
]


def first_mistakes() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for key, body, words in MISTAKES:
        out.setdefault(key, (body, words))
    return out


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("solved")
    write(directory, solutions=True)
    return directory


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("blank")
    write(directory)
    return directory


def grade_in_process(directory: Path) -> dict[str, tuple[bool, str]]:
    workbook = Workbook(directory)
    return {e.key: run_check(workbook, e.key) for e in EXERCISES}


# ------------------------------------------------------------------------------ the files


def test_the_catalogue_holds_the_posts_pieces_in_the_guides_order():
    titles = [e.title for e in EXERCISES]
    assert len(EXERCISES) >= 10
    assert titles[:7] == [
        "ReLU.activate",
        "ReLU.derive",
        "Sigmoid.activate",
        "Sigmoid.derive",
        "Tanh.activate",
        "Tanh.derive",
        "Softmax.activate",
    ]
    assert {"backward", "sgd_step", "momentum_step", "adam_step", "he_normal"} <= set(titles)
    sections = [int(e.section) for e in EXERCISES]
    assert sections == sorted(sections)
    assert [e.number for e in EXERCISES] == list(range(1, len(EXERCISES) + 1))
    assert set(CHECKS) == {e.key for e in EXERCISES}
    assert {key for key, _, _ in MISTAKES} == set(CHECKS)  # every exercise has a mistake


def test_blank_and_solved_files_come_from_one_template():
    blank, solved = render(), render(solutions=True)
    assert blank.keys() == solved.keys() == {*FILES, "README.md"}
    for name in FILES:
        compile(blank[name], name, "exec")
        compile(solved[name], name, "exec")
        numbers = [e.number for e in EXERCISES if e.file == name]
        assert blank[name].count("raise NotImplementedError") == len(numbers)
        assert "NotImplementedError" not in solved[name]
        for n in numbers:
            assert f"# Exercise {n}: " in blank[name] and f"# Exercise {n}: " in solved[name]
        # the docstrings (the exercise text) are the same in both
        assert blank[name].split("# Exercise")[0] == solved[name].split("# Exercise")[0]
        assert ">>>" not in blank[name] + solved[name]
        assert "noqa" not in blank[name] + solved[name]
    for e in EXERCISES:
        assert f"| {e.number} | `{e.title}` | `{e.file}` |" in blank["README.md"]
    assert "--check" in blank["README.md"] and "--force" in blank["README.md"]


def test_bodies_replace_one_exercise():
    files = render(solutions=True, bodies={"relu_derive": "return da"})
    assert "        return da\n" in files["01_relu.py"]
    assert "np.maximum(z, 0)" in files["01_relu.py"]
    with pytest.raises(ValueError, match="no exercise"):
        render(bodies={"relu": "return z"})


def test_write_refuses_to_overwrite_a_learners_work(tmp_path):
    write(tmp_path)
    mine = tmp_path / "01_relu.py"
    mine.write_text("# my work\n")
    (tmp_path / "05_forward.py").unlink()
    with pytest.raises(FileExistsError, match=r"01_relu\.py.*--force"):
        write(tmp_path, solutions=True)
    assert mine.read_text() == "# my work\n"
    assert not (tmp_path / "05_forward.py").exists()  # nothing at all was written


def test_force_overwrites_and_keeps_permissions(tmp_path):
    write(tmp_path)
    mine = tmp_path / "01_relu.py"
    mine.write_text("# my work\n")
    mine.chmod(0o600)
    write(tmp_path, solutions=True, force=True)
    assert "np.maximum" in mine.read_text()
    assert stat.S_IMODE(mine.stat().st_mode) == 0o600


def test_write_makes_the_folder_and_refuses_a_file(tmp_path):
    written = write(tmp_path / "a" / "b")
    assert [p.name for p in written] == [*FILES, "README.md"]
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError):
        write(tmp_path / "file")


def test_the_hand_worked_cases_agree_with_barenet():
    """The checks' hand-worked numbers are barenet's own answers (the arithmetic is in the
    comments next to them)."""
    from barenet import CrossEntropy, DeepNeuralNetwork, Layer, ReLU, Sigmoid, Softmax, Tanh
    from barenet.exercises import check_activations as act
    from barenet.exercises import check_adam, check_forward, check_softmax
    from barenet.exercises import check_optimizers as opt
    from barenet.optimizers import SGD, Adam

    assert np.allclose(ReLU().activate(act.RELU_Z), act.RELU_A)
    assert np.allclose(ReLU().derive(act.RELU_DA, act.RELU_DZ_Z, None), act.RELU_DZ)
    for f, z, a, da, dz in (
        (Sigmoid(), act.SIGMOID_Z, act.SIGMOID_A, act.SIGMOID_DA, act.SIGMOID_DZ),
        (Tanh(), act.TANH_Z, act.TANH_A, act.TANH_DA, act.TANH_DZ),
    ):
        assert np.allclose(f.activate(z), a) and np.allclose(f.derive(da, z, a), dz)
    assert np.allclose(Softmax().activate(check_softmax.SOFTMAX_Z), check_softmax.SOFTMAX_A)
    net = DeepNeuralNetwork([Layer(2), Layer(3, "relu"), Layer(2, "softmax")], dtype=np.float64)
    net.params = {key: p.copy() for key, p in check_forward.HAND_PARAMS.items()}
    assert np.allclose(net.forward(check_forward.HAND_X), check_forward.HAND_OUT)
    z, a, Y = check_forward.DELTA_Z, check_forward.DELTA_A, check_forward.DELTA_Y
    assert np.allclose(Softmax().activate(z), a)
    assert np.allclose(CrossEntropy().delta(z, a, Y), check_forward.DELTA)
    params = opt.copy_params(opt.SGD_PARAMS)
    SGD(opt.LR).step(params, opt.copy_params(opt.SGD_GRADS))
    assert all(np.allclose(params[k], opt.SGD_AFTER[k]) for k in params)
    momentum = opt.reference_steps(
        SGD(opt.LR, momentum=opt.MOMENTUM), opt.MOMENTUM_PARAMS, opt.MOMENTUM_GRADS
    )
    assert opt.explain(momentum, opt.MOMENTUM_HAND, {}, "velocity") is None
    adam = opt.reference_steps(
        Adam(check_adam.ADAM_LR), check_adam.ADAM_PARAMS, check_adam.ADAM_GRADS
    )
    assert opt.explain(adam, check_adam.ADAM_HAND, {}, "m and v") is None


# ------------------------------------------------------------------------------ grading


def test_the_blank_workbook_fails_every_exercise(blank, capsys):
    assert cli.main(["exercises", str(blank), "--check"]) == 1
    lines = capsys.readouterr().out.splitlines()
    verdicts = [line for line in lines if " FAIL " in line or " PASS" in line]
    assert len(verdicts) == len(EXERCISES)
    for line, exercise in zip(verdicts, EXERCISES, strict=True):
        assert line.startswith(f"{exercise.number:>2}. {exercise.title} ")
        assert f" FAIL  {exercise.file}: not written yet" in line, line
    assert lines[-1] == f"0 of {len(EXERCISES)} pass. Fix the FAILs, then run this again."
    assert not list(blank.glob("__pycache__"))  # no bytecode left in the learner's folder


def test_the_solved_workbook_passes_and_trains(solved, tiny_mnist, capsys):
    args = ["exercises", str(solved), "--check", "--data", str(tiny_mnist), "--iterations", "30"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert out.count(" PASS\n") == len(EXERCISES) and " FAIL " not in out
    assert "30 iterations on 300 images" in out
    accuracy = float(out.split("Test accuracy with your code: ")[1].split("%")[0])
    assert accuracy > 90


def test_one_planted_mistake_per_exercise_gets_its_hint(tmp_path):
    mistakes = first_mistakes()
    write(tmp_path, solutions=True, bodies={key: body for key, (body, _) in mistakes.items()})
    for result in check(tmp_path):
        _, words = mistakes[result.exercise.key]
        assert not result.passed
        assert words.lower() in result.hint.lower(), result


@pytest.mark.parametrize(
    ("key", "body", "words"), MISTAKES, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(MISTAKES)]
)
def test_each_mistake_gets_its_hint(tmp_path, key, body, words):
    file = BY_KEY[key].file  # NOTE: only the file the check loads, and no fsync: fast
    (tmp_path / file).write_text(render_file(file, solutions=True, bodies={key: body}))
    passed, hint = run_check(Workbook(tmp_path), key)
    assert not passed
    assert words.lower() in hint.lower(), hint


def test_a_mistake_fails_only_its_own_exercise(tmp_path):
    write(tmp_path, solutions=True, bodies={"relu_activate": "return np.abs(z)"})
    verdicts = grade_in_process(tmp_path)
    assert [key for key, (passed, _) in verdicts.items() if not passed] == ["relu_activate"]


def test_an_exception_names_the_line_and_the_code(tmp_path):
    write(tmp_path, solutions=True, bodies={"relu_derive": "y = da * (z > 0)\nreturn y @ da"})
    passed, hint = run_check(Workbook(tmp_path), "relu_derive")
    assert not passed
    line = render(solutions=True, bodies={"relu_derive": "y = 1\nreturn y @ da"})["01_relu.py"]
    number = line.splitlines().index("        return y @ da") + 1
    assert "ValueError: matmul" in hint
    assert f"(01_relu.py, line {number}: return y @ da)" in hint


def test_syntax_errors_and_exits_fail_without_crashing(tmp_path):
    write(
        tmp_path,
        solutions=True,
        bodies={"tanh_activate": "return (", "sgd_step": "raise SystemExit(2)"},
    )
    verdicts = grade_in_process(tmp_path)
    for key in ("tanh_activate", "tanh_derive"):  # a file that does not load fails all of its
        passed, hint = verdicts[key]
        assert not passed and hint.startswith("SyntaxError in 03_tanh.py, line"), hint
    passed, hint = verdicts["sgd_step"]
    assert not passed and "SystemExit: 2" in hint, hint
    assert verdicts["sigmoid_activate"] == (True, "")


def test_a_missing_file_or_name_fails_its_exercises(tmp_path):
    write(tmp_path, solutions=True)
    (tmp_path / "09_adam.py").unlink()
    text = (tmp_path / "10_he_normal.py").read_text().replace("def he_normal", "def he")
    (tmp_path / "10_he_normal.py").write_text(text)
    verdicts = grade_in_process(tmp_path)
    assert "09_adam.py is missing" in verdicts["adam_step"][1]
    assert "defines no he_normal" in verdicts["he_normal"][1]
    with pytest.raises(FileNotFoundError, match="holds no workbook"):
        check(tmp_path / "nowhere")


def test_endless_loops_and_dying_processes_fail_and_grading_goes_on(tmp_path):
    write(
        tmp_path,
        solutions=True,
        bodies={
            "relu_derive": "while True: pass",
            "sigmoid_activate": "import os\nos._exit(3)",
            "tanh_activate": "print('a learner prints')\nreturn np.tanh(z)",
        },
    )
    results = {r.exercise.key: r for r in check(tmp_path, timeout=1.0)}
    assert list(results) == [e.key for e in EXERCISES]
    loop = results["relu_derive"]
    assert not loop.passed and "did not finish within 1 s" in loop.hint
    assert "01_relu.py, line" in loop.hint and loop.hint.endswith(": while True: pass")
    died = results["sigmoid_activate"]
    assert not died.passed and "exit code 3" in died.hint
    failed = [key for key, r in results.items() if not r.passed]
    assert failed == ["relu_derive", "sigmoid_activate"]  # printing is fine; the rest pass


# --------------------------------------------------------------------- training and the CLI


def blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """'Digits' a network tells apart: each class a fixed pattern of pixels, plus noise."""
    patterns = np.random.default_rng(0).random((10, 784)) > 0.7
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 10
    X = (patterns[y] ^ (rng.random((n, 784)) > 0.9)).astype(np.float32)
    return X, y


def test_training_runs_the_learners_own_code(tmp_path, solved):
    X, y = blobs(300, seed=1)
    X_test, y_test = blobs(100, seed=2)
    losses = []
    result = train(
        solved,
        X,
        y,
        X_test,
        y_test,
        iterations=40,
        every=10,
        report=lambda updates, loss: losses.append((updates, loss)),
    )
    assert [u for u, _ in losses] == [0, 10, 20, 30, 40]
    assert result.losses == [loss for _, loss in losses]
    assert result.losses[-1] < result.losses[0] / 2
    assert result.accuracy > 0.9
    # the learner's initializer is what starts it: all-zero weights never leave zero
    write(tmp_path, solutions=True, bodies={"he_normal": "return np.zeros((fan_in, fan_out))"})
    assert train(tmp_path, X, y, X_test, y_test, iterations=40).accuracy < 0.3


def test_training_reports_the_learners_exception(tmp_path):
    X, y = blobs(50, seed=1)
    write(tmp_path, solutions=True, bodies={"sgd_step": "raise KeyError('W9')"})
    with pytest.raises(WorkbookError, match=r"while iteration 1: .*KeyError.*08_gradient_descent"):
        train(tmp_path, X, y, X, y, iterations=2)
    write(
        tmp_path,
        solutions=True,
        force=True,
        bodies={"sgd_step": 'for p in params.values():\n    p[...] = float("nan")'},
    )
    with pytest.raises(WorkbookError, match="diverged"):
        train(tmp_path, X, y, X, y, iterations=20, every=1)


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("mnist")
    for split, n, seed in (("train", 300, 1), ("t10k", 100, 2)):
        X, y = blobs(n, seed)
        images = (X.reshape(n, 28, 28) * 255).astype(np.uint8)
        (directory / f"{split}-images-idx3-ubyte").write_bytes(idx_bytes(images))
        (directory / f"{split}-labels-idx1-ubyte").write_bytes(idx_bytes(y.astype(np.uint8)))
    return directory


def test_cli_writes_and_refuses(tmp_path, capsys):
    workbook = tmp_path / "workbook"
    assert cli.main(["exercises", str(workbook)]) == 0
    assert f"barenet exercises {workbook} --check" in capsys.readouterr().out
    assert cli.main(["exercises", str(workbook), "--solutions"]) == 1
    assert "Pass --force" in capsys.readouterr().err
    assert cli.main(["exercises", str(workbook), "--solutions", "--force"]) == 0
    assert "np.maximum" in (workbook / "01_relu.py").read_text()
    assert cli.main(["exercises", str(tmp_path / "empty"), "--check"]) == 1
    assert "holds no workbook" in capsys.readouterr().err
    for refused, why in [
        (["--check", "--solutions"], "not allowed with"),
        (["--check", "--force"], "--force is for writing"),
        (["--check", "--iterations", "-1"], "a whole number >= 0"),
        (["--iterations", "5"], "--iterations go with --check"),  # would be ignored
        (["--solutions", "--data", str(tmp_path)], "--data go with --check"),
    ]:
        with pytest.raises(SystemExit) as usage:
            cli.main(["exercises", str(tmp_path / "other"), *refused])
        assert usage.value.code == 2 and why in capsys.readouterr().err, refused
    assert not (tmp_path / "other").exists()


def test_the_package_ships_its_templates():
    from importlib import resources

    folder = resources.files("barenet.exercises") / "templates"
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith((".py", ".md"))) == sorted(
        [*FILES, "README.md"]
    )


@pytest.mark.mnist
def test_the_learners_code_learns_mnist(mnist, solved):
    X, y, X_test, y_test = mnist
    result = train(solved, X[:5000], y[:5000], X_test, y_test, iterations=100)  # 0.856
    assert result.accuracy > 0.8
