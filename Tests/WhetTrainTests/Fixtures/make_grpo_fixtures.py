"""TRL's own GRPO loss and advantage arithmetic on fixed tensors, for the Swift objectives.

Loss: `GRPOTrainer._compute_loss` (TRL 1.16) is called unchanged on a stand-in `self` whose
`_get_per_token_logps_and_entropies` returns the per-token log-probs given here (a leaf
tensor), so `backward()` gives the gradient with respect to each token's log-prob. Cases
cover every `loss_type` we implement (grpo, bnpo, dr_grpo, dapo), token and sequence
importance sampling, on-policy (no old log-probs) and off-policy ratios that clip on both
sides, clip-higher, and β > 0 with the k3 KL.

Advantages: the lines of `GRPOTrainer._generate_and_score_completions` and
`RLOOTrainer._generate_and_score_completions` that turn rewards into advantages, with TRL's
own `nanstd`, on rewards with abstentions (NaN), for `scale_rewards` group/batch/none,
`sum_then_normalize` and `normalize_then_sum`, and RLOO's leave-one-out baseline.

Run from this directory with trl installed:
    python make_grpo_fixtures.py
It writes grpo.json.
"""
import json
from collections import defaultdict
from types import SimpleNamespace

import torch
from trl.trainer.grpo_trainer import GRPOTrainer
from trl.trainer.utils import nanstd

torch.manual_seed(0)
B, T = 4, 6
LENGTHS = [6, 3, 5, 1]
MASK = torch.zeros(B, T)
for i, n in enumerate(LENGTHS):
    MASK[i, :n] = 1
LOGPS = (-torch.rand(B, T) * 2.0) * MASK
# Old log-probs far enough from the new ones that ratios clip on both sides.
OLD = (LOGPS + (torch.rand(B, T) - 0.5) * 0.9) * MASK
REF = (LOGPS + (torch.rand(B, T) - 0.5) * 0.6) * MASK
ADV = torch.tensor([1.3, -0.7, 0.4, -1.1])
# Whole sequences moved, so sequence-level ratios clip too (rows 0 and 3 clip, 1 and 2 do not).
SHIFTED = (OLD + torch.tensor([[-0.35], [0.3], [0.1], [0.4]])) * MASK


class Accelerator:
    num_processes = 1

    def gather(self, x):
        return x

    def gather_for_metrics(self, x):
        return x

    def reduce(self, x, reduction="sum"):
        return x


def trl_loss(case):
    logps = LOGPS.clone().requires_grad_(True)
    stub = SimpleNamespace(
        top_entropy_quantile=1.0,
        off_policy_mask_threshold=None,
        importance_sampling_level=case["importance_sampling_level"],
        beta=case["beta"],
        loss_type=case["loss_type"],
        epsilon_low=case["epsilon"],
        epsilon_high=case["epsilon_high"],
        use_vllm=False,
        model=SimpleNamespace(training=True),
        current_gradient_accumulation_steps=1,
        max_completion_length=case["max_completion_length"],
        accelerator=Accelerator(),
        _metrics={"train": defaultdict(list), "eval": defaultdict(list)},
        _entropy_bonus_enabled=False,
        aux_loss_enabled=False,
        args=SimpleNamespace(use_bias_correction_kl=False, delta=None, steps_per_generation=1),
    )
    stub._get_per_token_logps_and_entropies = lambda *a, **k: (logps, torch.ones(B, T), None)
    inputs = {
        "prompt_ids": torch.zeros(B, 2, dtype=torch.long),
        "prompt_mask": torch.ones(B, 2, dtype=torch.long),
        "completion_ids": torch.zeros(B, T, dtype=torch.long),
        "completion_mask": MASK.long(),
        "advantages": ADV,
        "num_items_in_batch": torch.tensor(float(case.get("num_items", MASK.sum().item()))),
    }
    if case["off_policy"]:
        inputs["old_per_token_logps"] = SHIFTED if case.get("shifted") else OLD
    if case["beta"] > 0:
        inputs["ref_per_token_logps"] = REF
    loss = GRPOTrainer._compute_loss(stub, None, inputs)
    loss.backward()
    metrics = {k: v[-1] for k, v in stub._metrics["train"].items()}
    out = dict(case)
    out["loss"] = loss.item()
    out["grad"] = logps.grad.flatten().tolist()
    out["metrics"] = {
        k: metrics[k]
        for k in ["clip_ratio/low_mean", "clip_ratio/high_mean", "clip_ratio/region_mean", "kl"]
        if k in metrics
    }
    return out


cases = []
for loss_type in ["grpo", "bnpo", "dr_grpo", "dapo"]:
    for level in ["token", "sequence"]:
        for off_policy in [False, True]:
            cases.append(
                dict(loss_type=loss_type, importance_sampling_level=level, off_policy=off_policy,
                     beta=0.0, epsilon=0.2, epsilon_high=0.2, max_completion_length=8))
cases.append(dict(loss_type="dapo", importance_sampling_level="token", off_policy=True, beta=0.0,
                  epsilon=0.2, epsilon_high=0.28, max_completion_length=8))
cases.append(dict(loss_type="dapo", importance_sampling_level="token", off_policy=True, beta=0.0,
                  epsilon=0.2, epsilon_high=0.28, max_completion_length=8, num_items=40))
for level in ["token", "sequence"]:
    cases.append(dict(loss_type="grpo", importance_sampling_level=level, off_policy=True,
                      shifted=True, beta=0.0, epsilon=0.2, epsilon_high=0.28,
                      max_completion_length=8))
cases.append(dict(loss_type="grpo", importance_sampling_level="token", off_policy=True, beta=0.04,
                  epsilon=0.2, epsilon_high=0.2, max_completion_length=8))
cases.append(dict(loss_type="bnpo", importance_sampling_level="sequence", off_policy=False,
                  beta=0.1, epsilon=0.2, epsilon_high=0.28, max_completion_length=8))
losses = [trl_loss(c) for c in cases]

# Advantages. Rewards of 3 groups of G = 4 from 2 functions; NaN = the function abstained.
G = 4
nan = float("nan")
REWARDS = torch.tensor([
    [1.0, 0.5], [0.0, nan], [1.0, 0.2], [0.0, 0.1],
    [1.0, 0.3], [1.0, 0.3], [1.0, 0.3], [1.0, 0.3],   # zero std
    [nan, nan], [0.0, 0.9], [1.0, nan], [0.0, 0.4],   # one unscorable completion
])
WEIGHTS = torch.tensor([1.0, 0.5])


def grpo_advantages(scale, aggregation):
    rewards_per_func = REWARDS.clone()
    unscorable = torch.isnan(rewards_per_func).all(dim=1)
    if aggregation == "sum_then_normalize":
        rewards = (rewards_per_func * WEIGHTS.unsqueeze(0)).nansum(dim=1)
        rewards[unscorable] = torch.nan
        mean = torch.nanmean(rewards.view(-1, G), dim=1).repeat_interleave(G, dim=0)
        if scale in ["group", "none"]:
            std = nanstd(rewards.view(-1, G), dim=1).repeat_interleave(G, dim=0)
        else:
            std = nanstd(rewards).expand_as(rewards)
        adv = rewards - mean
        if scale != "none":
            adv = adv / (std + 1e-4)
        zero = torch.isclose(std, torch.zeros_like(std))
    else:
        grouped = rewards_per_func.view(-1, G, 2)
        mean_k = torch.nanmean(grouped, dim=1, keepdim=True)
        std_k = nanstd(grouped, dim=1, keepdim=True)
        reward_k = ((grouped - mean_k) / (std_k + 1e-4)).view(-1, 2)
        rewards = (reward_k * WEIGHTS.unsqueeze(0)).nansum(dim=1)
        rewards[unscorable] = torch.nan
        std = nanstd(rewards).expand_as(rewards)
        adv = (rewards - torch.nanmean(rewards)) / (std + 1e-4)
        zero = torch.isclose(std, torch.zeros_like(std))
    return torch.nan_to_num(adv, nan=0.0).tolist(), zero.view(-1, G)[:, 0].tolist()


def rloo_advantages():
    unscorable = torch.isnan(REWARDS).all(dim=1)
    rewards = (REWARDS * WEIGHTS.unsqueeze(0)).nansum(dim=1)
    rewards[unscorable] = torch.nan
    grouped = rewards.view(-1, G)
    counts = (~torch.isnan(grouped)).sum(dim=1, keepdim=True)
    total = torch.nansum(grouped, dim=1, keepdim=True)
    baselines = ((total - grouped) / (counts - 1)).view(-1)
    return torch.nan_to_num(rewards - baselines, nan=0.0).tolist()


advantages = []
for scale in ["group", "batch", "none"]:
    adv, zero = grpo_advantages(scale, "sum_then_normalize")
    advantages.append(dict(estimator="grpo", scale_rewards=scale,
                           aggregation="sum_then_normalize", advantages=adv, zero_std=zero))
adv, zero = grpo_advantages("group", "normalize_then_sum")
advantages.append(dict(estimator="grpo", scale_rewards="group", aggregation="normalize_then_sum",
                       advantages=adv, zero_std=zero))
advantages.append(dict(estimator="rloo", scale_rewards="group", aggregation="sum_then_normalize",
                       advantages=rloo_advantages()))

with open("grpo.json", "w") as f:
    json.dump({
        "B": B, "T": T,
        "logps": LOGPS.flatten().tolist(), "old": OLD.flatten().tolist(),
        "ref": REF.flatten().tolist(), "shifted": SHIFTED.flatten().tolist(), "mask": MASK.flatten().tolist(), "advantages": ADV.tolist(),
        "losses": losses,
        "group_size": G, "weights": WEIGHTS.tolist(),
        "rewards": [[None if v != v else v for v in row] for row in REWARDS.tolist()],
        "advantage_cases": advantages,
    }, f, indent=1)
print(f"{len(losses)} loss cases, {len(advantages)} advantage cases")
