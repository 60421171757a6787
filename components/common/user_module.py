"""User modules: a Python file that replaces the default preprocessing and/or model.

The contract (documented with a worked example in ``examples/user_module.py`` and
the README's "User modules" section). A module file, local or ``gs://``, defines
either or both of:

- ``preprocessing_fn(inputs)`` — a TensorFlow Transform preprocessing function:
  a dict of raw feature tensors in, a dict of transformed tensors out. It must
  output the label as ``<label>_xf``; for classification, through
  ``tft.compute_and_apply_vocabulary(..., vocab_filename="label_vocabulary")``.
- ``build_model(features, task, hyperparameters)`` — returns a ``keras.Model``
  that takes a dict of the transformed features (``[batch, 1]`` tensors, keyed by
  name) and outputs class probabilities ``[batch, classes]`` (classification) or a
  prediction in the label's units ``[batch, 1]`` (regression). ``features`` is a
  list of ``components.train.model.Feature``; ``task`` the facts of ``task.json``
  (``task``, ``classes``, ``label_mean``, ...); ``hyperparameters`` a dict with
  ``hidden_units``, ``learning_rate``, ``batch_size``, ``epochs``, ``seed``,
  ``dropout``, ``l2`` and ``class_weights`` (sizes already resolved from the data when
  left to the default: ``components/train/defaults.py``). A model returned uncompiled is compiled with Adam and the task's loss
  (``components/train/builder.py::compile_for_task``).

Whatever is not defined keeps the built-in default. A module that breaks the
contract is reported as a ``ConfigurationError`` naming the file, the function and
the line of the module at fault, before any data is processed.
"""
import dataclasses
import importlib.util
import inspect
import os
import sys
import tempfile
import traceback
from typing import Callable, Optional, Sequence

from components.common.errors import ConfigurationError

PREPROCESSING_FN = "preprocessing_fn"
BUILD_MODEL = "build_model"
# The parameters each contract function is called with, positionally.
SIGNATURES = {
    PREPROCESSING_FN: ("inputs",),
    BUILD_MODEL: ("features", "task", "hyperparameters"),
}
CONTRACT_HINT = "See the README's 'User modules' section and examples/user_module.py."


@dataclasses.dataclass(frozen=True)
class UserModule:
    """A loaded module file: its path as given, its source, and the contract functions it defines."""

    path: str
    local_path: str
    source: str
    preprocessing_fn: Optional[Callable] = None
    build_model: Optional[Callable] = None


def _local_copy(module_file: str) -> str:
    """The module as a local file; remote files (gs://...) are copied to a temporary folder."""
    import tensorflow as tf

    if "://" not in module_file:
        return module_file
    local = os.path.join(tempfile.mkdtemp(prefix="user-module-"), os.path.basename(module_file))
    tf.io.gfile.copy(module_file, local, overwrite=True)
    return local


def module_line(error: BaseException, local_path: str) -> str:
    """Where in the user's file ``error`` arose: ``line N (code)``, or "" when not in it."""
    if isinstance(error, SyntaxError) and error.filename == local_path:
        text = (error.text or "").strip()
        return f"line {error.lineno} ({text})" if text else f"line {error.lineno}"
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == local_path]
    if not frames:
        return ""
    frame = frames[-1]
    return f"line {frame.lineno} ({(frame.line or '').strip()})"


def user_code_error(module: UserModule, function: str, error: BaseException) -> ConfigurationError:
    """A ConfigurationError for an exception raised by the user's code, naming its line."""
    where = module_line(error, module.local_path)
    location = f" at {where}" if where else ""
    return ConfigurationError(
        f"{function}() in module file {module.path!r} failed{location}: {type(error).__name__}: {error}. "
        f"Fix the module. {CONTRACT_HINT}"
    )


def _check_signature(path: str, name: str, function: Callable) -> None:
    expected = SIGNATURES[name]
    try:
        inspect.signature(function).bind(*expected)
    except TypeError:
        raise ConfigurationError(
            f"{name} in module file {path!r} has the signature {name}{inspect.signature(function)}; "
            f"the contract is {name}({', '.join(expected)}). {CONTRACT_HINT}"
        ) from None
    except ValueError:  # builtins without a signature: nothing to check
        pass


def load_user_module(module_file: str, required: Sequence[str] = ()) -> UserModule:
    """Import ``module_file`` (local or gs://) and check it against the contract.

    Args:
      module_file: the Python file.
      required: contract functions this caller cannot do without (usually none:
        whatever is missing keeps its default).

    Raises:
      ConfigurationError: the file is missing, fails to import (the message shows the
        module's own line), defines no contract function, defines one that is not
        callable or takes other parameters, or lacks one of ``required``.
    """
    import tensorflow as tf

    if not tf.io.gfile.exists(module_file):
        raise ConfigurationError(f"Module file {module_file!r} does not exist. Give a local path or a gs:// URI.")
    local = _local_copy(module_file)
    with open(local) as handle:
        source = handle.read()
    name = f"user_module_{abs(hash(module_file))}"
    spec = importlib.util.spec_from_file_location(name, local)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        sys.modules.pop(name, None)
        where = module_line(error, local)
        raise ConfigurationError(
            f"Module file {module_file!r} failed to import"
            f"{' at ' + where if where else ''}: {type(error).__name__}: {error}"
        ) from error
    functions = {}
    for contract_name in SIGNATURES:
        value = getattr(module, contract_name, None)
        if value is None:
            continue
        if not callable(value):
            raise ConfigurationError(
                f"{contract_name} in module file {module_file!r} is a {type(value).__name__}, not a function. "
                f"{CONTRACT_HINT}"
            )
        _check_signature(module_file, contract_name, value)
        functions[contract_name] = value
    if not functions:
        raise ConfigurationError(
            f"Module file {module_file!r} defines neither {PREPROCESSING_FN}(inputs) nor "
            f"{BUILD_MODEL}(features, task, hyperparameters); define at least one. {CONTRACT_HINT}"
        )
    missing = [n for n in required if n not in functions]
    if missing:
        raise ConfigurationError(f"Module file {module_file!r} must define {', '.join(missing)}. {CONTRACT_HINT}")
    return UserModule(path=module_file, local_path=local, source=source, **functions)
