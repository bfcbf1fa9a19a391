"""Dequantize a GGUF causal LM into a plain transformers folder (fp32 safetensors), for hf_backend.py.

Lets the hf: judge be checked against the llama.cpp judge on the same weights (the embedded SmolLM2
GGUF). Needs ``pip install gguf accelerate`` besides the hf extra.

    python -m benchmarks.gguf_to_hf DIR_OF_GGUF FILE.gguf OUT_DIR
"""

from __future__ import annotations

import sys

import transformers


def main() -> None:
    source_dir, source_file, out = sys.argv[1:4]
    tokenizer = transformers.AutoTokenizer.from_pretrained(source_dir, gguf_file=source_file)
    quantized = transformers.AutoModelForCausalLM.from_pretrained(source_dir, gguf_file=source_file)
    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # a GGUF-loaded model refuses save_pretrained; a plain copy does not
    plain = transformers.AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(quantized.state_dict())
    plain.save_pretrained(out)
    tokenizer.save_pretrained(out)
    print(f"saved {out} ({plain.dtype})")


if __name__ == "__main__":
    main()
