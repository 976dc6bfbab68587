"""TRL's own KTO, CPO/SimPO, ORPO and reward-model losses on fixed log-probs (or rewards):
value, gradient with respect to each summed log-prob, and metrics.

KTO calls `KTOTrainer._compute_loss` unchanged on a stand-in `self` and model (as
make_dpo_fixtures.py does for DPO); CPO calls `CPOTrainer.cpo_loss` and ORPO
`ORPOTrainer.odds_ratio_loss`, combined as their `get_batch_loss_metrics` combine them, with
the NLL as their `cross_entropy_loss` computes it on -100-masked labels (the mean log-prob of
the kept tokens); the reward model calls `RewardTrainer.compute_loss` with a stand-in model
returning the given rewards.

Run from this directory with trl installed:
    python make_preference_fixtures.py
It writes preference.json.
"""
import json
import os
from collections import defaultdict
from types import SimpleNamespace

import torch
import trl
from trl.experimental.cpo.cpo_trainer import CPOTrainer
from trl.experimental.orpo.orpo_trainer import ORPOTrainer
from trl.trainer.kto_trainer import KTOTrainer
from trl.trainer.reward_trainer import RewardTrainer

torch.manual_seed(1)
T = 7


def per_token(lengths, start=1, scale=2.5):
    mask = torch.zeros(len(lengths), T, dtype=torch.long)
    for row, n in enumerate(lengths):
        mask[row, start : start + n] = 1
    return mask, (-torch.rand(len(lengths), T - 1) * scale) * mask[:, 1:]


class Acc:
    device = torch.device("cpu")

    def gather_for_metrics(self, x):
        return x

    def gather(self, x):
        return x

    def unwrap_model(self, m):
        return m


def kto_cases():
    lengths = [3, 6, 1, 4, 2, 5]
    labels = [True, False, True, True, False, False]
    mask, lp = per_token(lengths)
    kl_mask, kl_lp = per_token([4, 2, 5, 3, 6, 1])
    ref = (-torch.rand(len(lengths)) * 8)
    ref_kl = (-torch.rand(len(lengths)) * 8)
    kl_ids = torch.ones(len(lengths), T, dtype=torch.long)
    cases = []
    for loss_type, beta, wd, wu, kl_shift in [("kto", 0.1, 1.0, 1.0, 0.0), ("kto", 0.5, 1.3, 0.7, 0.0),
                                              ("kto", 0.3, 1.0, 1.0, 40.0),
                                              ("apo_zero_unpaired", 0.2, 1.0, 1.0, 0.0)]:
        log_probs = lp.clone().requires_grad_(True)
        kl_values = kl_lp + kl_shift / T

        def model(**kw):
            n, t = log_probs.shape
            out = kl_values if kw["input_ids"] is kl_ids else log_probs
            return SimpleNamespace(log_probs=out, entropy=torch.zeros(n, t),
                                   mean_logits=torch.zeros(n, t),
                                   is_top1=torch.zeros(n, t, dtype=torch.bool))
        model.training = True
        stub = SimpleNamespace(
            model=model, accelerator=Acc(), aux_loss_enabled=False, precompute_ref_logps=True,
            calculate_KL=loss_type == "kto", loss_type=loss_type, beta=beta,
            desirable_weight=wd, undesirable_weight=wu, _metrics={"train": defaultdict(list)},
            _total_train_tokens=0, _tp_size=1)
        stub._compute_kl_logps = lambda m, b: KTOTrainer._compute_kl_logps(stub, m, b)
        inputs = {
            "input_ids": torch.zeros(len(lengths), T, dtype=torch.long),
            "attention_mask": torch.ones(len(lengths), T, dtype=torch.long),
            "completion_mask": mask, "label": torch.tensor(labels), "KL_input_ids": kl_ids,
            "KL_attention_mask": torch.ones(len(lengths), T, dtype=torch.long),
            "KL_completion_mask": kl_mask, "ref_logps": ref, "ref_KL_logps": ref_kl,
        }
        loss = KTOTrainer._compute_loss(stub, model, inputs, return_outputs=False)
        loss.backward()
        metrics = {k: v[-1] for k, v in stub._metrics["train"].items()
                   if k in ("kl", "rewards/chosen", "rewards/rejected", "rewards/margins")}
        cases.append({
            "loss_type": loss_type, "beta": beta, "desirable_weight": wd,
            "undesirable_weight": wu, "labels": labels, "log_probs": lp.sum(1).tolist(),
            "reference": ref.tolist(), "mismatched": kl_values.sum(1).tolist(),
            "reference_mismatched": ref_kl.tolist(), "loss": float(loss.detach()),
            "grad": [float(log_probs.grad[r, 0]) for r in range(len(lengths))],
            "metrics": metrics})
    return cases


PAIR_LENGTHS = [3, 6, 1, 4, 2, 5, 2, 6, 3, 1]
PAIR_MASK, PAIR_LP = per_token(PAIR_LENGTHS, scale=1.2)


def pair_data():
    return PAIR_LENGTHS, PAIR_MASK, PAIR_LP


def cpo_cases():
    lengths, mask, lp = pair_data()
    p = len(lengths) // 2
    cases = []
    for loss_type, beta, eps, gamma, cpo_alpha in [
            ("sigmoid", 0.1, 0.0, 0.5, 1.0), ("sigmoid", 0.4, 0.2, 0.5, 1.0),
            ("hinge", 0.3, 0.0, 0.5, 1.0), ("ipo", 0.3, 0.0, 0.5, 0.5),
            ("simpo", 2.0, 0.0, 0.5, 0.0), ("simpo", 2.5, 0.1, 1.2, 1.0)]:
        log_probs = lp.clone().requires_grad_(True)
        sums = log_probs.sum(1)
        counts = mask[:, 1:].sum(1).clamp(min=1)
        average = loss_type in ("ipo", "simpo")
        logps = sums / counts if average else sums
        stub = SimpleNamespace(alpha=0.0, loss_type=loss_type, simpo_gamma=gamma, beta=beta,
                               label_smoothing=eps, accelerator=Acc())
        losses, chosen_rewards, rejected_rewards = CPOTrainer.cpo_loss(stub, logps[:p], logps[p:])
        chosen_mask = mask[:p, 1:].bool()
        nll = -log_probs[:p][chosen_mask].mean()
        loss = losses.mean() + cpo_alpha * nll
        loss.backward()
        cases.append({
            "loss_type": loss_type, "beta": beta, "label_smoothing": eps, "simpo_gamma": gamma,
            "cpo_alpha": cpo_alpha, "loss": float(loss.detach()),
            "grad_chosen": [float(log_probs.grad[r, 0]) for r in range(p)],
            "grad_rejected": [float(log_probs.grad[r, 0]) for r in range(p, 2 * p)],
            "metrics": {"rewards/chosen": float(chosen_rewards.mean()),
                        "rewards/rejected": float(rejected_rewards.mean()),
                        "rewards/accuracies": float((chosen_rewards > rejected_rewards).float().mean()),
                        "rewards/margins": float((chosen_rewards - rejected_rewards).mean())}})
    return cases


def orpo_cases():
    lengths, mask, lp = pair_data()
    p = len(lengths) // 2
    prompt_lengths = [2, 1, 3, 2, 4]
    prompt_mask, prompt_lp = per_token(prompt_lengths, scale=3.0)
    cases = []
    for beta in (0.1, 0.5):
        log_probs = lp.clone().requires_grad_(True)
        prompt = prompt_lp.clone().requires_grad_(True)
        counts = mask[:, 1:].sum(1).clamp(min=1)
        averages = log_probs.sum(1) / counts
        stub = SimpleNamespace(beta=beta, accelerator=Acc())
        losses, cr, rr, ratio, log_odds = ORPOTrainer.odds_ratio_loss(stub, averages[:p], averages[p:])
        # The chosen rows' NLL over prompt and completion tokens together.
        kept = torch.cat([prompt[prompt_mask[:, 1:].bool()], log_probs[:p][mask[:p, 1:].bool()]])
        nll = -kept.mean()
        loss = nll - losses.mean()
        loss.backward()
        cases.append({
            "beta": beta, "prompt_tokens": prompt_lengths, "prompt_log_probs": prompt_lp.sum(1).tolist(),
            "loss": float(loss.detach()), "log_odds_ratio": float(ratio),
            "grad_chosen": [float(log_probs.grad[r, 0]) for r in range(p)],
            "grad_rejected": [float(log_probs.grad[r, 0]) for r in range(p, 2 * p)],
            "grad_prompt": [float(prompt.grad[r, 0]) for r in range(p)],
            "metrics": {"rewards/chosen": float(cr.mean()), "rewards/rejected": float(rr.mean())}})
    return lengths, lp.sum(1).tolist(), cases


def reward_cases():
    chosen = torch.randn(6) * 2
    rejected = torch.randn(6) * 2
    margins = torch.rand(6)
    cases = []
    for use_margin, coefficient in [(False, None), (True, None), (True, 0.01), (False, 0.5)]:
        rewards = torch.cat([chosen, rejected]).clone().requires_grad_(True)
        model = lambda **kw: SimpleNamespace(logits=rewards.unsqueeze(-1))  # noqa: E731
        model.training = True
        stub = SimpleNamespace(model=model, accelerator=Acc(),
                               args=SimpleNamespace(center_rewards_coefficient=coefficient),
                               _metrics={"train": defaultdict(list)}, _total_train_tokens=0, _tp_size=1)
        inputs = {"attention_mask": torch.ones(12, 3, dtype=torch.long)}
        if use_margin:
            inputs["margin"] = margins
        loss = RewardTrainer.compute_loss(stub, model, inputs)
        loss.backward()
        cases.append({
            "margins": margins.tolist() if use_margin else None, "center": coefficient,
            "loss": float(loss.detach()), "grad_chosen": rewards.grad[:6].tolist(),
            "grad_rejected": rewards.grad[6:].tolist(),
            "metrics": {k: v[-1] for k, v in stub._metrics["train"].items() if k in ("accuracy", "margin")}})
    return chosen.tolist(), rejected.tolist(), cases


def main():
    lengths, pair_sums, orpo = orpo_cases()
    rm_chosen, rm_rejected, rm = reward_cases()
    out = {
        "description": __doc__.strip().splitlines()[0],
        "versions": {"trl": trl.__version__, "torch": torch.__version__},
        "kto": kto_cases(),
        "pairs": {"lengths": lengths, "log_probs": pair_sums},
        "cpo": cpo_cases(), "orpo": orpo,
        "reward_model": {"chosen": rm_chosen, "rejected": rm_rejected, "cases": rm},
    }
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "preference.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("ok")


if __name__ == "__main__":
    main()
