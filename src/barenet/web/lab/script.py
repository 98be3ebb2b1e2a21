"""The lab's "Show the code": a Python script that reproduces a run to its current step.

The script is built from the same descriptions that barenet saves: the model file's
architecture (``saving.architecture``: each layer's size, activation name and config, the loss
and dtype), the optimizer's ``optimizers.serialize`` config, and the toy generator's arguments.
It trains the way the lab does, with ``TrainingRun.train_step`` on ``TrainingRun.batches``
epoch after epoch, applying the learning rates in the order the lab used them, so it reaches
the lab's loss (to float rounding); ``--save PATH`` writes the model.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ... import activations, losses, optimizers
from ...saving import architecture

if TYPE_CHECKING:
    from .run import LabRun


def script(lab: LabRun) -> str:
    """The Python source that reproduces ``lab`` at its current step."""
    from .config import toy_calls

    with lab.lock:
        config, model = lab.config, lab.model
        schedule = lab.schedule()
        steps = lab.steps
        epochs = -(-steps // lab.batches_per_epoch)
    arch = architecture(model)
    optimizer = optimizers.serialize(
        optimizers.get(config.optimizer, learning_rate=config.learning_rate)
    )
    seed, k = config.seed, model.layers[-1].size
    imports = ["import argparse", "", "import numpy as np", ""]
    names = ["DeepNeuralNetwork", "Layer", "optimizers", "schedules"]
    if config.dataset == "mnist":
        data_import = "from barenet.datasets import load_mnist"
        data = [
            "# The data: the first digits of MNIST, from the cache (fetch it: barenet data fetch)",
            "X_all, y_all, X_test, y_test = load_mnist(download=False)",
            f"X, y = X_all[:{config.n}], y_all[:{config.n}]",
            f"X_val, y_val = X_test[:{len(lab.X_val)}], y_test[:{len(lab.X_val)}]",
        ]
    else:
        train, val = toy_calls(config)
        data_import = "from barenet.datasets import toy"
        data = [
            f"# The data: {len(lab.X)} training samples; a held-out set drawn with the next seed",
            f"X, y = toy.{config.dataset}({_kwargs(train)})",
            f"X_val, y_val = toy.{config.dataset}({_kwargs(val)})",
        ]
    layers = []
    for i, spec in enumerate(arch["layers"]):
        act = activations.ACTIVATIONS[spec["activation"]](**spec["activation_config"])
        args = [str(spec["size"])]
        if i > 0 or spec["activation"] != "identity":
            if spec["activation_config"]:
                args.append(f"activations.{act!r}")
                if "activations" not in names:
                    names.append("activations")
            else:
                args.append(_literal(spec["activation"]))
        if spec["init"] is not None:
            args.append(f"init={_literal(spec['init'])}")
        if spec["dropout"]:
            args.append(f"dropout={spec['dropout']!r}")
        layers.append(f"        Layer({', '.join(args)}),")
    if arch["loss_config"]:
        loss_class = type(losses.get(arch["loss"]))
        loss = f"losses.{loss_class.__name__}({_kwargs(arch['loss_config'])})"
        names.append("losses")
    else:
        loss = _literal(arch["loss"])
    if model.task == "multiclass":
        Y = f"np.eye({k}, dtype=np.{arch['dtype']})[y],  # labels as one-hot rows"
    else:
        Y = f"np.asarray(y, dtype=np.{arch['dtype']}).reshape(-1, 1),  # one target column"
    title = (
        f"A barenet lab run, reproduced: {config.dataset}, layers {config.layers}, "
        f"{config.optimizer}, {steps} updates."
    )
    lines = [
        f'"""{title}',
        "",
        "It trains with the step that fit uses (TrainingRun.train_step) on fit's batches: the",
        f"same data, initial weights (seed {seed}), shuffling and learning rates as the lab, so",
        f"it ends at the loss the lab showed at step {steps}.",
        "",
        "    python lab_run.py                          # train, print the loss",
        "    python lab_run.py --save model.safetensors # and save the model",
        '"""',
        "",
        *imports,
        f"from barenet import {', '.join(sorted(names, key=str.lower))}",
        data_import,
        "from barenet.training import TrainingRun",
        "",
        "parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])",
        'parser.add_argument("--save", metavar="PATH", help="save the trained model there")',
        "args = parser.parse_args()",
        "",
        *data,
        "",
        "# The network, as its model file describes it",
        "model = DeepNeuralNetwork(",
        "    [",
        *layers,
        "    ],",
        f"    loss={loss},",
        f"    seed={seed},",
        f"    dtype={_literal(arch['dtype'])},",
        ")",
        "optimizer = optimizers.get(",
        "    {",
        *(f"        {_literal(key)}: {_literal(value)}," for key, value in optimizer.items()),
        "    }",
        ")",
        "",
        "# fit's view of the data: rows in the network's dtype, targets shaped like the output",
        "run = TrainingRun(",
        "    model=model,",
        "    optimizer=optimizer,",
        f"    rng=np.random.default_rng({seed}),  # shuffles every epoch, as fit(seed={seed}) does",
        f"    epochs={epochs},",
        f"    batch_size={config.batch_size},",
        f"    X=np.asarray(X, dtype=np.{arch['dtype']}),",
        f"    Y={Y}",
        ")",
        "",
        "# (updates, learning rate): the lab's learning rates, in the order it used them",
        f"SCHEDULE = {[(u, lr) for u, lr in schedule]!r}",
        "",
        "",
        "def batches():",
        '    """fit\'s mini-batches, epoch after epoch: run.batches() shuffles each epoch."""',
        "    while True:",
        "        yield from run.batches()",
        "",
        "",
        "stream = batches()",
        "for updates, learning_rate in SCHEDULE:",
        "    optimizer.learning_rate = schedules.get(learning_rate)",
        "    for _ in range(updates):",
        "        loss, a = run.train_step(*next(stream))  # forward, delta, backward, update",
        "",
        "steps = sum(updates for updates, _ in SCHEDULE)",
        *_report(model.task),
        "if args.save:",
        "    model.save(args.save)",
        '    print(f"model saved to {args.save}")',
        "",
    ]
    return "\n".join(lines)


def _report(task: str) -> list[str]:
    metric = "R2" if task == "regression" else "accuracy"
    return [
        f'print(f"step {{steps}}: loss {{model.loss(X, y):.8f}}, '
        f'{metric} {{model.score(X, y):.4f}}")',
        f'print(f"held-out: loss {{model.loss(X_val, y_val):.8f}}, '
        f'{metric} {{model.score(X_val, y_val):.4f}}")',
    ]


def _kwargs(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{key}={_literal(value)}" for key, value in kwargs.items())


def _literal(value: Any) -> str:
    """value as Python source, strings in double quotes as ruff formats them."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)
