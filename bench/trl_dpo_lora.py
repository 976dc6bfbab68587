"""Peer figure for whet-bench's train.dpo.step.lora: TRL DPOTrainer with a PEFT LoRA adapter (r 16, alpha 32, dropout 0.05, all projections) on the
peers' 8 DPO pairs: the LoRA counterpart of bench_torch.py's part (d)."""
import copy, inspect, os, statistics, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "peers"))
import bench_torch as B
import torch
from datasets import Dataset
from peft import LoraConfig
from transformers import TrainerCallback
import trl
from trl import DPOConfig, DPOTrainer

tok, model = B.load()
p, c, r = B.dpo_data(tok)
ds = Dataset.from_dict({"prompt": p, "chosen": c, "rejected": r})
times = []
class T(TrainerCallback):
    def on_step_begin(self, args, state, control, **kw): self.t0 = time.perf_counter()
    def on_step_end(self, args, state, control, **kw): times.append(time.perf_counter() - self.t0)
for gc in (True, False):
    times.clear()
    kw = dict(output_dir=tempfile.mkdtemp(prefix="dpo_"), per_device_train_batch_size=8, gradient_accumulation_steps=1,
              max_steps=4, gradient_checkpointing=gc, learning_rate=1e-6, beta=0.1, logging_steps=1, report_to=[],
              save_strategy="no", bf16=False, fp16=False, use_cpu=True, dataloader_num_workers=0,
              remove_unused_columns=False, max_length=256, seed=0, disable_tqdm=True)
    sig = inspect.signature(DPOConfig.__init__).parameters
    args = DPOConfig(**{k: v for k, v in kw.items() if k in sig})
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, task_type="CAUSAL_LM",
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    trainer = DPOTrainer(model=copy.deepcopy(model), args=args, train_dataset=ds, processing_class=tok,
                         peft_config=lora, callbacks=[T()])
    trainer.train()
    print(f"TRL {trl.__version__} DPOTrainer + LoRA gradient_checkpointing={gc}: step times {[round(t, 3) for t in times]}; "
          f"steady median {statistics.median(times[1:]):.3f} s/step", flush=True)
    del trainer
