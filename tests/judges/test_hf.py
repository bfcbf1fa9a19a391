"""The transformers backend on tiny randomly initialised models the tests create (no hub download).

Skipped where torch and transformers are not installed (they are the optional ``hf`` extra).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from judgeaudit.biases import build_probes, load_registry  # noqa: E402
from judgeaudit.datasets import load_instances, sample_path  # noqa: E402
from judgeaudit.formulations import Formulation  # noqa: E402
from judgeaudit.judges import resolve_judge  # noqa: E402
from tests.cli import finish, judgeaudit, only_run_dir  # noqa: E402

pytestmark = pytest.mark.slow

WORDS = ["<unk>", "<pad>", "<s>", "</s>", "A", "B", "user", "assistant", "system", *map(str, range(10))]


def _tiny(folder: Path, reward: bool, seed: int = 0) -> Path:
    """A 2-layer Llama with a word-level tokenizer and a chat template, saved to ``folder``."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = WORDS + sorted({w for i in load_instances(sample_path()) for w in f"{i.prompt} {i.chosen}".split()})[:400]
    tokenizer = Tokenizer(models.WordLevel(vocab={w: n for n, w in enumerate(dict.fromkeys(words))}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", pad_token="<pad>", eos_token="</s>")
    fast.chat_template = "{% for m in messages %}{{ m['role'] }} {{ m['content'] }} {% endfor %}{% if add_generation_prompt %}assistant {% endif %}"
    config = transformers.LlamaConfig(
        vocab_size=len(fast), hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=2048, pad_token_id=fast.pad_token_id, num_labels=1,
    )
    torch.manual_seed(seed)
    model = (transformers.LlamaForSequenceClassification if reward else transformers.LlamaForCausalLM)(config)
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def causal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny(tmp_path_factory.mktemp("tiny-causal"), reward=False)


@pytest.fixture(scope="module")
def reward_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny(tmp_path_factory.mktemp("tiny-rm"), reward=True)


def _answers(judge, requests) -> list:
    async def ask():
        return await asyncio.gather(*(judge.judge(r) for r in requests))

    return asyncio.run(ask())


def test_a_causal_lm_is_read_from_its_logits_and_batching_changes_nothing(causal: Path) -> None:
    judge = resolve_judge(f"hf:{causal}")
    probes = build_probes(load_instances(sample_path())[:3], [load_registry()["verbosity"]], 0)
    requests = [r for p in probes for r in Formulation("pairwise").requests(judge, p)]
    batched = _answers(judge, requests)  # sent together: evaluated in padded batches
    alone = [_answers(judge, [r])[0] for r in requests]
    assert all(0 < a.p_a < 1 and a.verdict == ("A" if a.p_a > 0.5 else "B") for a in batched)
    assert [a.p_a for a in batched] == pytest.approx([a.p_a for a in alone], abs=1e-5)
    assert judge.params["device"] in ("cpu", "cuda") and judge.params["weights"].startswith("sha256:")
    other = _tiny(causal.parent / "other-checkpoint", reward=False, seed=1)  # same config, other weights
    assert resolve_judge(f"hf:{other}").params["weights"] != judge.params["weights"]
    scored = _answers(resolve_judge(f"hf:{causal}", kind="pointwise"), Formulation("pointwise").requests(judge, probes[0]))
    assert all(1 <= s.score <= 9 and s.verdict == "score" for s in scored)


def test_a_reward_model_audit_end_to_end(reward_model: Path, tmp_path: Path) -> None:
    code, _, err = finish(
        judgeaudit("run", "--judge", f"hf-rm:{reward_model}", "--mode", "reward", "--limit", "10",
                   "--bias", "verbosity,authority,position", "--out", str(tmp_path / "runs"), "--no-cache")
    )
    assert code == 0, err
    summary = json.loads((only_run_dir(tmp_path / "runs") / "summary.json").read_text())
    assert summary["judge"].startswith("hf-rm:") and "position" in summary["skipped_biases"]
    assert summary["calls"]["failed"] == 0 and summary["calls"]["unparseable"] == 0
    assert summary["biases"]["verbosity"]["pref_source"] == "logits" and summary["biases"]["verbosity"]["n_instances"] == 10
    code, _, err = finish(judgeaudit("run", "--judge", f"hf-rm:{reward_model}", "--mode", "pairwise", "--limit", "3"))
    assert code == 2 and "asks for verdict requests" in err
