#!/usr/bin/env python3
"""Reference outputs for LabelModelReferenceTests.swift (label_model_reference.json).

Independent implementations, from PyPI, of two of our label models, run on one small seeded
synthetic vote set (300 items x 5 binary sources, asymmetric error rates, abstentions, three
items on which every source abstains):

* Dawid-Skene: crowd-kit's `DawidSkene` (full per-source confusion matrices, like our
  `DawidSkeneModel`; crowd-kit's `OneCoinDawidSkene` would be the symmetric special case, which
  ours is not).
* MeTaL matrix completion: Snorkel's `LabelModel` (the same objective as our
  `MatrixCompletionModel`), with the class balance given to both (Snorkel has no label-free
  balance estimate: without one it assumes a uniform prior).

Setup (outside the repository):

    python3 -m venv /tmp/lmref
    /tmp/lmref/bin/pip install torch   # a CPU wheel is enough
    /tmp/lmref/bin/pip install crowd-kit==1.4.2 snorkel==0.10.0
    /tmp/lmref/bin/python Tests/WhetRewardsTests/Fixtures/labelmodels/make_label_model_fixtures.py

How the references are configured, and why it matches our formulation
---------------------------------------------------------------------
Dawid-Skene. crowd-kit and our model run the same EM: start from the majority-vote share of each
item's votes, M-step `e_w[a, c] = clip(sum_j T_j[c] 1[vote = a], 1e-10)` normalised over `a`,
prior = mean posterior over the items that have at least one vote, E-step in log space.
Abstentions: crowd-kit takes a long table of (task, worker, label) and an abstention is simply a
missing row, which is exactly our "abstains contribute nothing"; items with no vote at all are
not tasks for crowd-kit, and our model leaves them out of the fit too (their posterior is the
prior). The two loops differ only in bookkeeping:

* ours, with `maxIterations = K`, returns the parameters of the K-th M-step and posteriors from
  one more E-step on them; crowd-kit with `n_iter = K` returns the K-th M-step's parameters
  (`errors_`, `priors_`) but the posteriors of the E-step *before* it. So our posteriors equal
  crowd-kit's `probas_` with `n_iter = K + 1`, and our confusion entries and class balance equal
  crowd-kit's `errors_` / `priors_` with `n_iter = K`. We run crowd-kit with `tol = -inf` so
  neither loop stops early.
* stopping: ours stops when the mean log-likelihood per vote, `sum_j log sum_c p_c prod_w
  e_w[vote, c] / #votes`, evaluated at the previous parameters, gains less than 1e-5; crowd-kit
  uses its own ELBO-like loss. So the iteration counts differ. We evaluate our criterion on
  crowd-kit's parameter sequence to predict where our default model stops
  (`stopping.predicted_iterations`) and use that K for the step-for-step section `matched`: our
  default fit must then reproduce crowd-kit to round-off.
* `fixed_point`: crowd-kit after 2000 iterations (the EM fixed point), for our model run with a
  1e-12 tolerance; the stored gap says how far the reference is from the fixed point at the
  iteration where our rule with that tolerance stops.
* `crowdkit_default`: crowd-kit's own default run (`n_iter = 100, tol = 1e-5`), for a looser
  check of each library's defaults against each other (ours stops earlier).
* our `accuracy` is the expected agreement of a source's votes with the posteriors,
  `(sum_{vote=1} q + sum_{vote=0} (1 - q)) / #votes`; it is computed here from crowd-kit's
  posteriors. `truePositiveRate` / `trueNegativeRate` are the confusion entries `e[1, 1]` and
  `e[0, 0]`.

MeTaL. Snorkel minimises `||(O - mu P mu^T)[off-diagonal source blocks]||^2 + ||rowsum(mu P) -
diag(O)||^2` with `O = L_ind^T L_ind / n` (abstain = all-zero one-hot pair), clamps `mu` to
`[eps, 1 - eps]`, `eps = min(0.01, 10^-ceil(log10 n))` (= 1e-3 for n = 300; ours is the same
without the min, which differs only for n < 10), and
predicts `P(Y | votes) ~ exp(L_ind log mu + log p)`: the same objective, clamp and posterior
rule as ours. It differs in the optimiser (float32 torch, gradient descent) and the start, so we
run Adam long enough to converge (`n_epochs = 3000, lr = 0.01`; Snorkel's default, 100 SGD
steps, stops visibly short of the minimum) and compare minimisers, not paths. As checks that
there is one minimiser: Snorkel's is polished with SciPy's L-BFGS in float64 on the same
objective (`polish_max_abs_mu_change`), and the same objective is minimised from our model's
start, every source 70% precise (`from_our_start_max_abs_mu_difference`). Entries of `mu` that
end at the clamp are listed in `clamped_entries` (both libraries clamp only after optimising).
Accuracy: ours is `sum_y p_y mu[(i, y), y] / sum_y p_y (mu[(i, 0), y] + mu[(i, 1), y])` (the
model's own coverage in the denominator); Snorkel's `get_weights()` divides by the empirical
coverage instead. We store ours computed from Snorkel's `mu` (`accuracy`) and Snorkel's own
(`snorkel_get_weights`) for information.
"""

import json
import math
import platform
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.optimize
from crowdkit.aggregation import DawidSkene
from snorkel.labeling.model import LabelModel

SEED = 20240607
ITEMS = 300
CLASS_BALANCE = 0.35
SOURCES = ["s0", "s1", "s2", "s3", "s4"]
TRUE_POSITIVE_RATE = [0.90, 0.80, 0.70, 0.85, 0.65]
TRUE_NEGATIVE_RATE = [0.85, 0.75, 0.80, 0.65, 0.70]
ABSTAIN_RATE = [0.10, 0.20, 0.30, 0.15, 0.25]
ALL_ABSTAIN_ITEMS = [17, 150, 299]
ABSTAIN = 2  # our Vote.abstain code

DS_TOLERANCE = 1e-5  # DawidSkeneModel().tolerance and crowd-kit's default tol
DS_MAX_ITERATIONS = 100  # DawidSkeneModel().maxIterations and crowd-kit's default n_iter
TIGHT_TOLERANCE = 1e-12  # our tolerance for the fixed-point comparison
FIXED_POINT_ITERATIONS = 2000  # crowd-kit run far past both stopping rules
LL_TRACE_LENGTH = 400  # parameters on which our stopping statistic is evaluated

SNORKEL_CONFIG = dict(n_epochs=3000, lr=0.01, optimizer="adam", seed=123, progress_bar=False)

OUT = Path(__file__).resolve().parent / "label_model_reference.json"


def make_votes():
    rng = np.random.default_rng(SEED)
    m = len(SOURCES)
    labels = (rng.random(ITEMS) < CLASS_BALANCE).astype(int)
    codes = np.full((ITEMS, m), ABSTAIN, dtype=int)
    for i in range(ITEMS):
        for w in range(m):
            u_abstain, u_correct = rng.random(2)
            if u_abstain < ABSTAIN_RATE[w]:
                continue
            rate = TRUE_POSITIVE_RATE[w] if labels[i] == 1 else TRUE_NEGATIVE_RATE[w]
            codes[i, w] = labels[i] if u_correct < rate else 1 - labels[i]
    codes[ALL_ABSTAIN_ITEMS, :] = ABSTAIN
    return codes, labels


def r(x, digits=12):
    """Rounded floats keep the fixture small; 12 digits is far below every tolerance."""
    return None if x is None else round(float(x), digits)


# ----------------------------------------------------------------------------- Dawid-Skene


def long_table(codes):
    rows = [
        (i, SOURCES[w], int(codes[i, w]))
        for i in range(codes.shape[0])
        for w in range(codes.shape[1])
        if codes[i, w] != ABSTAIN
    ]
    return pd.DataFrame(rows, columns=["task", "worker", "label"])


def crowdkit_fit(data, n_iter, tol):
    return DawidSkene(n_iter=n_iter, tol=tol).fit(data)


def confusion(ds):
    """e[w][c][a] = P(vote = a | y = c) from crowd-kit's errors_ (index (worker, label))."""
    e = ds.errors_
    return [[[float(e.loc[(s, a), c]) for a in (0, 1)] for c in (0, 1)] for s in SOURCES]


def prior1(ds):
    return float(ds.priors_.loc[1])


def posteriors(ds, items):
    """P(y = 1) per item in item order; None for items crowd-kit never saw (no votes)."""
    p = ds.probas_[1]
    return [float(p.loc[i]) if i in p.index else None for i in range(items)]


def soft_accuracy(codes, q):
    """Our DawidSkene accuracy: expected agreement of each source's votes with q."""
    out = []
    for w in range(codes.shape[1]):
        agree, voted = 0.0, 0
        for i in range(codes.shape[0]):
            if codes[i, w] == ABSTAIN:
                continue
            voted += 1
            agree += q[i] if codes[i, w] == 1 else 1 - q[i]
        out.append(agree / voted)
    return out


def log_likelihood_per_vote(codes, e, p1):
    """Our stopping statistic: sum_j log sum_c p_c prod_w e_w[vote, c] / #votes."""
    total, votes = 0.0, 0
    for i in range(codes.shape[0]):
        l = [math.log(1 - p1), math.log(p1)]
        seen = 0
        for w in range(codes.shape[1]):
            a = codes[i, w]
            if a == ABSTAIN:
                continue
            seen += 1
            for c in (0, 1):
                l[c] += math.log(e[w][c][a])
        if seen == 0:
            continue
        votes += seen
        hi = max(l)
        total += hi + math.log(math.exp(l[0] - hi) + math.exp(l[1] - hi))
    return total / votes


class _TracingDawidSkene(DawidSkene):
    """crowd-kit's DawidSkene, recording every M-step's output; used only to locate where our
    stopping rule fires (the stored numbers come from plain `DawidSkene` runs)."""

    trace: list = []

    @staticmethod
    def _m_step(data, probas, *args, **kwargs):
        errors = DawidSkene._m_step(data, probas, *args, **kwargs)
        _TracingDawidSkene.trace.append((errors.copy(), float(probas.mean().loc[1])))
        return errors


def parameter_sequence(data, n_iter):
    """theta_k = (confusion, prior) after the k-th M-step, k = 0 (majority vote) ... n_iter."""
    _TracingDawidSkene.trace = []
    _TracingDawidSkene(n_iter=n_iter, tol=-np.inf).fit(data)
    out = []
    for errors, p1 in _TracingDawidSkene.trace:
        e = [[[float(errors.loc[(s, a), c]) for a in (0, 1)] for c in (0, 1)] for s in SOURCES]
        out.append((e, p1))
    return out


def predicted_stop(lls, tolerance, max_iterations):
    """Our loop: iteration k (1-based) evaluates LL(theta_{k-1}) and stops, for k >= 2, once it
    gained less than `tolerance` over LL(theta_{k-2}); the fit then holds theta_k."""
    for k in range(2, max_iterations + 1):
        if lls[k - 1] - lls[k - 2] < tolerance:
            return k
    return max_iterations


def ds_outputs(data, codes, k):
    """Our DawidSkeneModel's outputs after k iterations, from crowd-kit: parameters from the run
    with n_iter = k, posteriors from the run with n_iter = k + 1."""
    params = crowdkit_fit(data, n_iter=k, tol=-np.inf)
    posts = crowdkit_fit(data, n_iter=k + 1, tol=-np.inf)
    e = confusion(params)
    q = posteriors(posts, ITEMS)
    balance = prior1(params)
    q_filled = [balance if x is None else x for x in q]  # our posterior without votes: prior
    return {
        "posteriors": [r(x) for x in q],
        "class_balance": r(balance),
        "true_positive_rate": [r(e[w][1][1]) for w in range(len(SOURCES))],
        "true_negative_rate": [r(e[w][0][0]) for w in range(len(SOURCES))],
        "accuracy": [r(a) for a in soft_accuracy(codes, q_filled)],
    }, e


def max_posterior_gap(a, b):
    return max(abs(x - y) for x, y in zip(a, b) if x is not None and y is not None)


def dawid_skene_reference(codes):
    data = long_table(codes)
    thetas = parameter_sequence(data, FIXED_POINT_ITERATIONS)
    lls = [log_likelihood_per_vote(codes, e, p1) for e, p1 in thetas[:LL_TRACE_LENGTH]]
    gains = [lls[j] - lls[j - 1] for j in range(1, len(lls))]

    # (a) Our default fit, reproduced step for step.
    k = predicted_stop(lls, DS_TOLERANCE, DS_MAX_ITERATIONS)
    matched, e = ds_outputs(data, codes, k)
    check = crowdkit_fit(data, n_iter=k, tol=-np.inf)
    assert np.allclose(np.array(confusion(check)), np.array(thetas[k][0]), atol=1e-14)
    matched = {
        "our_max_iterations": k,
        "crowdkit_n_iter_for_parameters": k,
        "crowdkit_n_iter_for_posteriors": k + 1,
        "crowdkit_tol": "-inf",
        **matched,
        "confusion": [[[r(v) for v in row] for row in ew] for ew in e],
    }
    stopping = {
        "rule": "stop at our iteration k >= 2 once LL(theta_{k-1}) - LL(theta_{k-2}) < tol",
        "tolerance": DS_TOLERANCE,
        "predicted_iterations": k,
        "log_likelihood_per_vote": [r(x) for x in lls[: k + 1]],
        "gains": [r(x, 15) for x in gains[:k]],
        "distance_of_deciding_gain_from_tolerance": r(abs(gains[k - 2] - DS_TOLERANCE), 15),
        "distance_of_previous_gain_from_tolerance": r(abs(gains[k - 3] - DS_TOLERANCE), 15),
    }

    # (b) The fixed point: crowd-kit far past any stopping rule, and where our model stops
    # with a tight tolerance.
    far, _ = ds_outputs(data, codes, FIXED_POINT_ITERATIONS)
    k_tight = predicted_stop(lls, TIGHT_TOLERANCE, len(lls) - 1)
    assert k_tight < len(lls) - 1, "LL_TRACE_LENGTH too short for TIGHT_TOLERANCE"
    tight, _ = ds_outputs(data, codes, k_tight)
    fixed_point = {
        "crowdkit_n_iter": FIXED_POINT_ITERATIONS,
        **far,
        "our_tolerance": TIGHT_TOLERANCE,
        "predicted_iterations_at_our_tolerance": k_tight,
        "max_abs_posterior_gap_at_our_tolerance": r(
            max_posterior_gap(tight["posteriors"], far["posteriors"])
        ),
        "max_abs_posterior_gap_of_our_default": r(
            max_posterior_gap(matched["posteriors"], far["posteriors"])
        ),
    }

    # (c) crowd-kit with its own defaults and stopping rule.
    default = DawidSkene().fit(data)  # n_iter=100, tol=1e-5
    qd = posteriors(default, ITEMS)
    ed = confusion(default)
    bd = prior1(default)
    crowdkit_default = {
        "n_iter": default.n_iter,
        "tol": default.tol,
        "iterations_run": len(default.loss_history_),
        "posteriors": [r(x) for x in qd],
        "class_balance": r(bd),
        "true_positive_rate": [r(ed[w][1][1]) for w in range(len(SOURCES))],
        "true_negative_rate": [r(ed[w][0][0]) for w in range(len(SOURCES))],
        "accuracy": [r(a) for a in soft_accuracy(codes, [bd if x is None else x for x in qd])],
        "max_abs_posterior_gap_to_our_default": r(
            max_posterior_gap(qd, matched["posteriors"])
        ),
        "max_abs_posterior_gap_to_fixed_point": r(max_posterior_gap(qd, far["posteriors"])),
    }
    return {
        "reference": "crowdkit.aggregation.DawidSkene",
        "matched": matched,
        "stopping": stopping,
        "fixed_point": fixed_point,
        "crowdkit_default": crowdkit_default,
    }


# ----------------------------------------------------------------------------------- MeTaL


def metal_objective(x, O, p, m):
    """Our MatrixCompletionModel.objective (= Snorkel's _loss_mu with l2 = 0) in float64."""
    mu = x.reshape(2 * m, 2)
    Q = mu @ np.diag(p) @ mu.T
    mask = np.ones((2 * m, 2 * m), dtype=bool)
    for i in range(m):
        mask[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] = False
    R = np.where(mask, Q - O, 0.0)
    marg = mu @ p - np.diag(O)
    value = (R**2).sum() + (marg**2).sum()
    grad = 2 * (R @ mu @ np.diag(p) + R.T @ mu @ np.diag(p)) + 2 * np.outer(marg, p)
    return value, grad.ravel()


def metal_reference(codes, balance):
    n, m = codes.shape
    L = np.where(codes == ABSTAIN, -1, codes)  # Snorkel: -1 abstains, 0 / 1 votes
    p = np.array([1 - balance, balance])
    lm = LabelModel(cardinality=2, verbose=False)
    lm.fit(L, class_balance=list(p), **SNORKEL_CONFIG)
    mu = lm.mu.detach().numpy().astype(np.float64)  # mu[2i + a, y] = P(vote_i = a | y)
    loss = float(lm._loss_mu().detach())
    proba = lm.predict_proba(L)[:, 1]

    # Float64 checks on the same objective (unconstrained L-BFGS, then the same clamp): polishing
    # Snorkel's minimiser, and minimising from our MatrixCompletionModel's start (every source
    # 70% precise: mu0[(i, a), y] = coverage_i * (0.7 if a == y else 0.3)), which must land on
    # the same minimiser for the comparison to mean anything.
    L_ind = np.zeros((n, 2 * m))
    for i in range(m):
        for a in (0, 1):
            L_ind[:, 2 * i + a] = codes[:, i] == a
    O = L_ind.T @ L_ind / n
    eps = min(0.01, 1 / 10 ** math.ceil(math.log10(n)))

    def minimise(x0):
        res = scipy.optimize.minimize(
            metal_objective, x0.ravel(), args=(O, p, m), jac=True, method="L-BFGS-B",
            options=dict(ftol=1e-16, gtol=1e-14, maxiter=10000),
        )
        return np.clip(res.x.reshape(2 * m, 2), eps, 1 - eps), res

    polished, _ = minimise(mu)
    coverage = (codes != ABSTAIN).mean(axis=0)
    mu0 = np.array(
        [[coverage[i] * (0.7 if a == y else 0.3) for y in (0, 1)] for i in range(m) for a in (0, 1)]
    )
    from_ours, res_ours = minimise(mu0)
    at_bound = np.isclose(mu, eps, atol=1e-6) | np.isclose(mu, 1 - eps, atol=1e-6)
    clamped = [[int(row // 2), int(row % 2), int(y)] for row, y in zip(*np.nonzero(at_bound))]

    def ours(mu):
        acc, tpr, tnr = [], [], []
        for i in range(m):
            correct = p[0] * mu[2 * i, 0] + p[1] * mu[2 * i + 1, 1]
            voted = p[0] * (mu[2 * i, 0] + mu[2 * i + 1, 0]) + p[1] * (
                mu[2 * i, 1] + mu[2 * i + 1, 1]
            )
            acc.append(correct / voted)
            tpr.append(mu[2 * i + 1, 1] / (mu[2 * i, 1] + mu[2 * i + 1, 1]))
            tnr.append(mu[2 * i, 0] / (mu[2 * i, 0] + mu[2 * i + 1, 0]))
        return acc, tpr, tnr

    acc, tpr, tnr = ours(mu)
    return {
        "reference": "snorkel.labeling.model.LabelModel",
        "config": {
            "cardinality": 2,
            "class_balance": [r(v) for v in p],
            **{k: v for k, v in SNORKEL_CONFIG.items() if k != "progress_bar"},
            "l2": 0.0,
            "mu_eps": eps,
        },
        "class_balance": r(balance),
        "mu": [[r(v) for v in row] for row in mu],
        "posteriors": [r(v) for v in proba],
        "accuracy": [r(v) for v in acc],
        "true_positive_rate": [r(v) for v in tpr],
        "true_negative_rate": [r(v) for v in tnr],
        "snorkel_get_weights": [r(v) for v in lm.get_weights()],
        "loss": r(loss, 15),
        "clamped_entries": clamped,
        "clamped_entries_note": "[source, vote, y] of mu entries at eps or 1 - eps after the clamp",
        "polish_max_abs_mu_change": r(float(np.abs(polished - mu).max())),
        "from_our_start_max_abs_mu_difference": r(float(np.abs(from_ours - mu).max())),
        "from_our_start_unconstrained_loss": r(float(res_ours.fun), 15),
    }


def main():
    codes, labels = make_votes()
    balance = float(labels.mean())  # the "known" class balance given to both MeTaL fits
    fixture = {
        "generator": "Tests/WhetRewardsTests/Fixtures/labelmodels/make_label_model_fixtures.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "scipy": scipy.__version__,
            "crowd-kit": version("crowd-kit"),
            "snorkel": version("snorkel"),
            "torch": version("torch"),
        },
        "data": {
            "seed": SEED,
            "items": ITEMS,
            "sources": SOURCES,
            "vote_codes": "0 = negative, 1 = positive, 2 = abstain (our Vote raw values)",
            "codes": ["".join(str(v) for v in row) for row in codes],
            "labels": [int(v) for v in labels],
            "generating_class_balance": CLASS_BALANCE,
            "generating_true_positive_rate": TRUE_POSITIVE_RATE,
            "generating_true_negative_rate": TRUE_NEGATIVE_RATE,
            "generating_abstain_rate": ABSTAIN_RATE,
            "all_abstain_items": ALL_ABSTAIN_ITEMS,
            "empirical_class_balance": r(balance),
        },
        "dawid_skene": dawid_skene_reference(codes),
        "metal": metal_reference(codes, balance),
    }
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
