"""gpt2_check.py MODEL REF — the imported model (deepc's file, its tensors
in deepc's names) in the PyTorch reference gives the logits the reference
gave from the checkpoint itself: names, Conv1D transposes and dtype
conversions are right. (gpt_parity.py shows deepc computes what the
reference computes from the same tensors.)"""
import json
import sys

import torch

from gpt2_ref import GPT
from parity_check import close, summary
from st_read import read

t, _ = read(sys.argv[1])
ref = json.load(open(sys.argv[2]))
m = GPT(50257, 32, 16, 2, 2)
m.load_deepc(t)
m.eval()
with torch.no_grad():
    logits = m(torch.tensor([ref["ids"]]))[0]
close("imported logits " + sys.argv[2], torch.tensor(ref["logits"]).reshape(logits.shape), logits, rtol=1e-4, atol=1e-5)
sys.exit(summary("gpt2_check"))
