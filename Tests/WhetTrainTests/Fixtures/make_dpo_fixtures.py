"""TRL's own DPO loss code on fixed log-probs: the loss, its gradient with respect to each
pair's summed completion log-probs, and the logged metrics, for every `loss_type`, every
f-divergence, label smoothing and a weighted combination.

`DPOTrainer._compute_loss` (TRL 1.16) is called unchanged on a stand-in `self` and a
stand-in model whose forward returns the per-token log-probs given here (zero outside the
completion, as TRL's fused LM head returns them), with precomputed reference log-probs.
Because every loss depends on a completion only through its summed log-prob (`sft` through
the sum over the batch), the gradient at any completion token is the gradient with respect
to that sum.

Run from this directory with trl installed:
    python make_dpo_fixtures.py
It writes dpo.json.
"""
import json
import os
from collections import defaultdict
from types import SimpleNamespace

import torch
import trl
from trl.trainer.dpo_trainer import DPOTrainer

torch.manual_seed(0)
PAIRS = 5
T = 7
# Completion lengths of chosen then rejected rows; the first position is always prompt.
LENGTHS = [3, 6, 1, 4, 2, 5, 2, 6, 3, 1]


def batch():
    mask = torch.zeros(2 * PAIRS, T, dtype=torch.long)
    for row, n in enumerate(LENGTHS):
        mask[row, 1 : 1 + n] = 1
    per_token = (-torch.rand(2 * PAIRS, T - 1) * 2.5) * mask[:, 1:]
    ref_per_token = (-torch.rand(2 * PAIRS, T - 1) * 2.5) * mask[:, 1:]
    return mask, per_token, ref_per_token


MASK, PER_TOKEN, REF_PER_TOKEN = batch()
REF = REF_PER_TOKEN.sum(dim=1)


class StubModel:
    training = True

    def __init__(self, log_probs):
        self.log_probs = log_probs

    def __call__(self, **kwargs):
        n, t = self.log_probs.shape
        return SimpleNamespace(
            log_probs=self.log_probs, entropy=torch.zeros(n, t), mean_logits=torch.zeros(n, t),
            is_top1=torch.zeros(n, t, dtype=torch.bool))


class StubAccelerator:
    device = torch.device("cpu")

    def gather_for_metrics(self, x):
        return x

    def gather(self, x):
        return x

    def unwrap_model(self, m):
        return m


def run(loss_types, beta=0.1, label_smoothing=0.0, divergence="reverse_kl", alpha=0.5,
        weights=None, tau=0.05):
    log_probs = PER_TOKEN.clone().requires_grad_(True)
    model = StubModel(log_probs)
    stub = SimpleNamespace(
        model=model, accelerator=StubAccelerator(), aux_loss_enabled=False, ld_alpha=None,
        precompute_ref_logps=True, f_divergence_type=divergence, f_alpha_divergence_coef=alpha,
        loss_types=loss_types, loss_weights=weights or [1.0] * len(loss_types), beta=beta,
        label_smoothing=label_smoothing, args=SimpleNamespace(discopop_tau=tau),
        use_weighting=False, _metrics={"train": defaultdict(list)}, _total_train_tokens=0,
        _tp_size=1)
    inputs = {
        "input_ids": torch.zeros(2 * PAIRS, T, dtype=torch.long),
        "attention_mask": torch.ones(2 * PAIRS, T, dtype=torch.long),
        "completion_mask": MASK,
        "ref_chosen_logps": REF[:PAIRS], "ref_rejected_logps": REF[PAIRS:],
    }
    loss = DPOTrainer._compute_loss(stub, model, inputs, return_outputs=False)
    loss.backward()
    grad = log_probs.grad
    # The gradient with respect to each row's sum: read at its first completion token.
    row_grad = [float(grad[r, 0]) for r in range(2 * PAIRS)]
    metrics = {k: v[-1] for k, v in stub._metrics["train"].items()
               if k.startswith("rewards/") or k.startswith("logps/")}
    return {"loss": float(loss), "grad_chosen": row_grad[:PAIRS],
            "grad_rejected": row_grad[PAIRS:], "metrics": metrics}


def main():
    logps = PER_TOKEN.sum(dim=1)
    cases = []
    all_types = ["sigmoid", "hinge", "ipo", "exo_pair", "nca_pair", "robust", "bco_pair",
                 "sppo_hard", "aot", "aot_unpaired", "apo_zero", "apo_down", "discopop", "sft",
                 "sigmoid_norm"]
    for loss_type in all_types:
        smoothing = 0.1 if loss_type in ("exo_pair", "robust", "aot", "aot_unpaired") else 0.0
        for beta in (0.1, 0.7):
            cases.append({"loss_types": [loss_type], "beta": beta, "label_smoothing": smoothing,
                          **run([loss_type], beta=beta, label_smoothing=smoothing)})
    for divergence, alpha in [("forward_kl", 0.5), ("js_divergence", 0.5),
                              ("alpha_divergence", 0.5), ("alpha_divergence", 1.0)]:
        for loss_type in ("sigmoid", "ipo", "sigmoid_norm"):
            cases.append({"loss_types": [loss_type], "beta": 0.3, "divergence": divergence,
                          "alpha": alpha,
                          **run([loss_type], beta=0.3, divergence=divergence, alpha=alpha)})
    combo = ["sigmoid", "bco_pair", "sft"]
    cases.append({"loss_types": combo, "beta": 0.2, "loss_weights": [0.8, 0.2, 1.0],
                  **run(combo, beta=0.2, weights=[0.8, 0.2, 1.0])})
    cases.append({"loss_types": ["discopop"], "beta": 0.5, "discopop_tau": 0.3,
                  **run(["discopop"], beta=0.5, tau=0.3)})
    out = {
        "description": __doc__.strip().splitlines()[0],
        "versions": {"trl": trl.__version__, "torch": torch.__version__},
        "chosen": logps[:PAIRS].tolist(), "rejected": logps[PAIRS:].tolist(),
        "reference_chosen": REF[:PAIRS].tolist(), "reference_rejected": REF[PAIRS:].tolist(),
        "chosen_tokens": LENGTHS[:PAIRS], "rejected_tokens": LENGTHS[PAIRS:],
        "cases": cases,
    }
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "dpo.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(len(cases), "cases")


if __name__ == "__main__":
    main()
