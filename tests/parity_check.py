"""parity_check.py — the comparison the PyTorch parity scripts share: close()
counts a check as passed when deepc's values match the reference within
rtol/atol, and prints the worst element otherwise."""
import numpy as np
import torch

counts = {"passed": 0, "failed": 0}


def close(name, ours, ref, rtol=1e-5, atol=1e-6):
    ref = ref.detach().numpy() if isinstance(ref, torch.Tensor) else np.asarray(ref)
    ours = np.asarray(ours).reshape(ref.shape)
    if np.allclose(ours, ref, rtol=rtol, atol=atol):
        counts["passed"] += 1
    else:
        counts["failed"] += 1
        err = np.max(np.abs(ours - ref) / (atol + rtol * np.abs(ref)))
        print(f"FAIL {name}: max error {err:.3g} x tolerance\n  deepc {ours.ravel()[:6]}\n  torch {ref.ravel()[:6]}")


def summary(title):
    """The closing line, and the exit status."""
    print(f"{title}: {counts['passed']} passed, {counts['failed']} failed")
    return 1 if counts["failed"] else 0
